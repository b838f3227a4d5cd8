package earshot.store;

import earshot.jobs.DeliveryAttempt;
import io.vertx.core.Future;
import java.util.List;

/**
 * The webhook delivery record: one row per attempt of a delivery, as the {@code DeliveryLog} records and lists them.
 */
public interface DeliveryStore {
  /**
   * Records one webhook delivery attempt, stamped with the store's clock. Yields false, recording nothing, when that
   * attempt of that delivery is already recorded (another scheduler node made it).
   */
  Future<Boolean> recordDelivery(DeliveryAttempt attempt);

  /** Every recorded webhook delivery attempt of a job, oldest first. */
  Future<List<DeliveryAttempt>> deliveries(long jobId);
}
