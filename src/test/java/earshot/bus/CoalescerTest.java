package earshot.bus;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import earshot.testsupport.Deadlines;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Coalescing over a real event bus, with handlers that answer single and batch addresses the same way. */
class CoalescerTest {
  static final String SINGLE = "test.echo";
  static final String BATCH = "test.echo.batch";

  Vertx vertx;
  final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

  /** Echoes {@code n}, fails negative ones with 404 and a missing {@code n} as malformed, answers "slow" later. */
  final Function<JsonObject, Future<JsonObject>> echo = item -> {
    int n = item.getInteger("n"); // throws on a missing n: the item, not the batch, is malformed
    if (n < 0) {
      return Future.failedFuture(Batch.failure(Failures.NOT_FOUND, "no " + n));
    }
    Promise<JsonObject> later = Promise.promise();
    vertx.setTimer(1 + n % 3, id -> later.complete(new JsonObject().put("echo", n)));
    return later.future();
  };

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    HandOffCodec.register(vertx);
    await(vertx.eventBus().<JsonObject>consumer(SINGLE, m -> Batch.answerOne(m, echo)).completion());
    await(vertx.eventBus().<JsonObject>consumer(BATCH, m -> {
      batchSizes.add(Batch.items(m.body()).size());
      Batch.answer(m, echo);
    }).completion());
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  /** Issues {@code items} from one task of one event loop, as an HTTP verticle's handlers do in one turn. */
  List<Future<JsonObject>> oneTurn(Coalescer coalescer, List<JsonObject> items) {
    Promise<List<Future<JsonObject>>> issued = Promise.promise();
    vertx.runOnContext(v -> {
      List<Future<JsonObject>> out = new ArrayList<>();
      items.forEach(item -> out.add(coalescer.request(item)));
      issued.complete(out);
    });
    return await(issued.future());
  }

  Coalescer onEventLoop(String address) {
    Promise<Coalescer> made = Promise.promise();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(Deadlines.WAIT.toMillis());
    vertx.runOnContext(v -> made.complete(new Coalescer(vertx, address, options)));
    return await(made.future());
  }

  @Test
  void requestsOfOneTurnTravelAsOneMessageAndEachGetsItsOwnOutcome() {
    Coalescer coalescer = onEventLoop(BATCH);
    List<JsonObject> items = List.of(new JsonObject().put("n", 1), new JsonObject().put("n", -7),
        new JsonObject().put("n", 2), new JsonObject(), new JsonObject().put("n", 1));
    List<Future<JsonObject>> outcomes = oneTurn(coalescer, items);
    await(Future.join(outcomes).otherwiseEmpty()); // every outcome is in, so the batch was received
    assertEquals(List.of(5), batchSizes);

    assertEquals(new JsonObject().put("echo", 1), await(outcomes.get(0)));
    ReplyException missing = assertInstanceOf(ReplyException.class, awaitFailure(outcomes.get(1)));
    assertEquals(Failures.NOT_FOUND, missing.failureCode());
    assertEquals("no -7", missing.getMessage());
    assertEquals(new JsonObject().put("echo", 2), await(outcomes.get(2)));
    ReplyException malformed = assertInstanceOf(ReplyException.class, awaitFailure(outcomes.get(3)));
    assertEquals(Failures.BAD_REQUEST, malformed.failureCode());
    assertEquals(new JsonObject().put("echo", 1), await(outcomes.get(4)));

    // The next turn is the next message, and the single address answers alike.
    Future<JsonObject> next = oneTurn(coalescer, List.of(new JsonObject().put("n", 3))).getFirst();
    assertEquals(new JsonObject().put("echo", 3), await(next));
    assertEquals(List.of(5, 1), batchSizes);
    ReplyException single = assertInstanceOf(ReplyException.class,
        awaitFailure(vertx.eventBus().request(SINGLE, new JsonObject().put("n", -7))));
    assertEquals(Failures.NOT_FOUND, single.failureCode());
    assertEquals("no -7", single.getMessage());
  }

  @Test
  void aFailedMessageFailsEveryRequestInIt() {
    Coalescer coalescer = onEventLoop("test.nobody.listens");
    List<Future<JsonObject>> outcomes = oneTurn(coalescer,
        List.of(new JsonObject().put("n", 1), new JsonObject().put("n", 2)));
    for (Future<JsonObject> outcome : outcomes) {
      ReplyException e = assertInstanceOf(ReplyException.class, awaitFailure(outcome));
      assertEquals(ReplyFailure.NO_HANDLERS, e.failureType());
    }
  }
}
