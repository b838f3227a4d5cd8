package earshot.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * Micrometer meters for the node, exported to Prometheus as {@code node_role{role}} (1 for each role this node runs,
 * 0 for the others), {@code cluster_members}, {@code webhook_failures_total{reason}} and
 * {@code store_errors_total{operation}}. Everything with a label value known now is registered at zero here, so a
 * fresh node exports every name.
 */
public final class MicrometerNodeMetrics implements NodeMetrics {
  /** Store operations that a failure is counted under; another name is counted too, when it first fails. */
  public static final List<String> STORE_OPERATIONS = List.of("submit", "acquire", "heartbeat", "stage report",
      "cancel", "retry", "record delivery", "list deliveries", "lease sweep", "queue sample");

  private final MeterRegistry registry;
  private final AtomicReference<IntSupplier> members = new AtomicReference<>(() -> 1);

  /**
   * @param allRoles every role a node can run
   * @param running  the roles this node runs
   */
  public MicrometerNodeMetrics(MeterRegistry registry, Collection<String> allRoles, Collection<String> running) {
    this.registry = registry;
    for (String role : allRoles) {
      int value = running.contains(role) ? 1 : 0;
      Gauge.builder("node.role", () -> value).description("1 for each role this node runs, 0 for the others")
          .tag("role", role).register(registry);
    }
    Gauge.builder("cluster.members", members, m -> m.get().getAsInt())
        .description("Nodes in this node's cluster, itself included (1 when not clustered)")
        .register(registry);
    for (String reason : List.of(WEBHOOK_HTTP_STATUS, WEBHOOK_NETWORK, WEBHOOK_REFUSED)) {
      webhookCounter(reason);
    }
    STORE_OPERATIONS.forEach(this::storeCounter);
  }

  @Override
  public void webhookFailure(String reason) {
    webhookCounter(reason).increment();
  }

  @Override
  public void storeError(String operation) {
    storeCounter(operation).increment();
  }

  @Override
  public void clusterMembers(IntSupplier supplier) {
    members.set(supplier);
  }

  private Counter webhookCounter(String reason) {
    return Counter.builder("webhook.failures").description("Webhook attempts that did not deliver, by reason")
        .tag("reason", reason).register(registry);
  }

  private Counter storeCounter(String operation) {
    return Counter.builder("store.errors").description("Job store calls that failed, by operation")
        .tag("operation", operation.replace(' ', '_')).register(registry);
  }
}
