package earshot.bus;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The shape of the batch addresses ({@link Addresses#JOBS_GET_BATCH}, {@link Addresses#JOBS_SUBMIT_BATCH}). A request
 * is {@code {items: [...]}}, each item the body its single address takes; the reply is {@code {items: [...]}} in the
 * same order, each {@code {ok: reply}} or {@code {failure: {code, message}}}, the reply or failure the single address
 * would have given for that item. One item's failure fails only that item.
 *
 * <p>Handlers answer a single address and its batch address with the same per-item code ({@link #answerOne},
 * {@link #answer}); per-item failures are {@link ReplyException}s with a {@link Failures} code.
 */
public final class Batch {
  private Batch() {}

  /** Replies are built for their message and dropped after it. */
  private static final DeliveryOptions HAND_OFF = HandOffCodec.options();

  public static JsonObject request(List<JsonObject> items) {
    return new JsonObject().put("items", new JsonArray(new ArrayList<>(items)));
  }

  /** The items of a batch request or reply. */
  public static List<JsonObject> items(JsonObject body) {
    JsonArray items = body.getJsonArray("items", new JsonArray());
    List<JsonObject> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      out.add(items.getJsonObject(i));
    }
    return out;
  }

  /** A failure a handler gives for one item, as the single address would fail with it. */
  public static ReplyException failure(int code, String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, message);
  }

  /** One reply item back as the outcome the single address would have given: its reply, or its failure. */
  public static Future<JsonObject> outcome(JsonObject item) {
    JsonObject failure = item.getJsonObject("failure");
    return failure == null ? Future.succeededFuture(item.getJsonObject("ok"))
        : Future.failedFuture(failure(failure.getInteger("code"), failure.getString("message")));
  }

  /** Answers a single-address message with {@code handler}'s outcome for its body. */
  public static void answerOne(Message<JsonObject> msg, Function<JsonObject, Future<JsonObject>> handler) {
    handle(handler, msg.body()).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result(), HAND_OFF);
      } else {
        ReplyException f = asFailure(ar.cause());
        msg.fail(f.failureCode(), f.getMessage());
      }
    });
  }

  /** Answers a batch message by handling every item with {@code handler}, replying once all are done. */
  public static void answer(Message<JsonObject> msg, Function<JsonObject, Future<JsonObject>> handler) {
    reply(msg, items(msg.body()).stream().map(item -> handle(handler, item)).toList());
  }

  /** Replies to a batch message with one outcome per item, in order, once every outcome is known. */
  public static void reply(Message<JsonObject> msg, List<Future<JsonObject>> outcomes) {
    Future.join(outcomes).onComplete(done -> {
      JsonArray items = new JsonArray(new ArrayList<>(outcomes.size()));
      for (Future<JsonObject> o : outcomes) {
        if (o.succeeded()) {
          items.add(new JsonObject().put("ok", o.result()));
        } else {
          ReplyException f = asFailure(o.cause());
          items.add(new JsonObject().put("failure",
              new JsonObject().put("code", f.failureCode()).put("message", f.getMessage())));
        }
      }
      msg.reply(new JsonObject().put("items", items), HAND_OFF);
    });
  }

  /** A handler that throws (say, on a malformed item) fails that item, not the batch. */
  private static Future<JsonObject> handle(Function<JsonObject, Future<JsonObject>> handler, JsonObject item) {
    try {
      return handler.apply(item);
    } catch (RuntimeException e) {
      return Future.failedFuture(failure(Failures.BAD_REQUEST, "malformed request: " + e.getMessage()));
    }
  }

  private static ReplyException asFailure(Throwable err) {
    return err instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE ? re
        : failure(Failures.UNAVAILABLE, String.valueOf(err.getMessage()));
  }
}
