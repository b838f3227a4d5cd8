package earshot.scheduler;

import earshot.bus.Failures;
import earshot.metrics.NodeMetrics;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the scheduler and its helpers answer a bus request whose store work failed: logged with its cause, counted in
 * {@code store_errors_total}, and failed 503 so that the caller may try again. Logged under the scheduler's name,
 * since the helpers act for it.
 */
final class StoreFailure {
  private static final Logger LOG = LoggerFactory.getLogger(SchedulerVerticle.class);

  private final NodeMetrics metrics;

  StoreFailure(NodeMetrics metrics) {
    this.metrics = metrics;
  }

  void reply(Message<?> msg, String what, Throwable err) {
    LOG.error("{} failed", what, err);
    metrics.storeError(what);
    msg.fail(Failures.UNAVAILABLE, what + " failed: " + err.getMessage());
  }
}
