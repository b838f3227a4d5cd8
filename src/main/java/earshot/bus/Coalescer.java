package earshot.bus;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends the requests that one turn of an event loop makes to the same address as one {@link Batch} message. Under
 * load an HTTP event loop reads many requests in one turn; coalescing their bus requests costs one delivery and one
 * thread hop each way per turn instead of per request, and lets the receiver serve them together (one store round
 * trip, one transaction). Nothing waits on a timer: the batch leaves when the turn ends, so a lone request is sent
 * as soon as its handler returns, as a plain request would be.
 *
 * <p>Each caller gets the outcome its item would have had at the single address, including that address's failure
 * codes; a failure of the whole message (timeout, no handler) fails every item of it.
 *
 * <p>The sender end of the one batching mechanism whose receiver end is the scheduler's {@code SubmissionBatcher};
 * docs/architecture.md ("Batching: one mechanism, two ends") describes both.
 *
 * <p>Threading: confined to the event-loop context it was created on; one per verticle instance.
 */
public final class Coalescer {
  private final Vertx vertx;
  private final Context context;
  private final String address;
  private final DeliveryOptions options;
  private List<JsonObject> items = new ArrayList<>();
  private List<Promise<JsonObject>> waiting = new ArrayList<>();

  /** {@code options} apply to the batch message (its timeout, say); its body is always handed over. */
  public Coalescer(Vertx vertx, String batchAddress, DeliveryOptions options) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.address = batchAddress;
    this.options = new DeliveryOptions(options).setCodecName(HandOffCodec.NAME);
  }

  /** Queues {@code item} (the body its single address takes) for this turn's batch; its outcome is the future's. */
  public Future<JsonObject> request(JsonObject item) {
    if (items.isEmpty()) {
      context.runOnContext(v -> flush()); // runs after the I/O this turn is handling
    }
    Promise<JsonObject> promise = Promise.promise();
    items.add(item);
    waiting.add(promise);
    return promise.future();
  }

  private void flush() {
    List<JsonObject> batch = items;
    List<Promise<JsonObject>> promises = waiting;
    items = new ArrayList<>();
    waiting = new ArrayList<>();
    vertx.eventBus().<JsonObject>request(address, Batch.request(batch), options).onComplete(ar -> {
      if (ar.failed()) {
        promises.forEach(p -> p.fail(ar.cause()));
        return;
      }
      List<JsonObject> outcomes = Batch.items(ar.result().body());
      for (int i = 0; i < promises.size(); i++) {
        Promise<JsonObject> p = promises.get(i);
        if (i < outcomes.size()) {
          Batch.outcome(outcomes.get(i)).onComplete(p);
        } else {
          p.fail(Batch.failure(Failures.UNAVAILABLE, "the batch reply has no answer for this request"));
        }
      }
    });
  }
}
