package earshot.metrics;

import java.util.function.IntSupplier;

/**
 * The node's own meters, beside the job engine's: the roles it runs, how many nodes its cluster has, and the errors of
 * what it depends on (the job store, webhook receivers). Implementations are thread-safe, so one instance may be
 * handed to several verticles.
 */
public interface NodeMetrics {
  /** {@link #webhookFailure} reasons. */
  String WEBHOOK_HTTP_STATUS = "http_status";
  String WEBHOOK_NETWORK = "network";
  String WEBHOOK_REFUSED = "refused";

  /** A webhook attempt did not deliver: the receiver answered non-2xx, the network failed, or the URL was refused. */
  void webhookFailure(String reason);

  /** A job store call failed during {@code operation} (acquire, heartbeat, stage report, sweep, ...). */
  void storeError(String operation);

  /**
   * Where the cluster membership comes from; read at every scrape. A node that is not clustered counts itself (1),
   * which is the default until the cluster code sets its own supplier.
   */
  void clusterMembers(IntSupplier members);
}
