package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.ListDeliveries;
import earshot.bus.RecordDelivery;
import earshot.store.DeliveryStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The scheduler's webhook delivery log: records each attempt the webhook verticle makes and lists a job's attempts,
 * because the scheduler owns the store. Registered by {@link SchedulerVerticle} on its own event loop; it shares the
 * scheduler's store and nothing else.
 */
final class DeliveryLog {
  private final Vertx vertx;
  private final DeliveryStore store;
  private final StoreFailure storeFailure;

  DeliveryLog(Vertx vertx, DeliveryStore store, StoreFailure storeFailure) {
    this.vertx = vertx;
    this.store = store;
    this.storeFailure = storeFailure;
  }

  Future<Void> register() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_DELIVERY_RECORD, this::onRecord).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_DELIVERIES, this::onList).completion())).mapEmpty();
  }

  private void onRecord(Message<JsonObject> msg) {
    store.recordDelivery(RecordDelivery.fromJson(msg.body()).attempt())
        .onSuccess(recorded -> msg.reply(new JsonObject().put("recorded", recorded)))
        .onFailure(err -> storeFailure.reply(msg, "record delivery", err));
  }

  private void onList(Message<JsonObject> msg) {
    store.deliveries(ListDeliveries.fromJson(msg.body()).jobId())
        .onSuccess(attempts -> msg.reply(ListDeliveries.reply(attempts)))
        .onFailure(err -> storeFailure.reply(msg, "list deliveries", err));
  }
}
