package earshot.quota;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.Deadlines;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every {@link ActiveCounters} promises, run against each implementation by a subclass: the limit holds under
 * concurrent holds, a release frees a place, a repeated hold counts once, a refresh re-adds, and an unrefreshed
 * holder expires after the TTL. Each test uses its own owner, so the counters may be shared between tests.
 */
@ExtendWith(VertxExtension.class)
abstract class ActiveCountersContract {
  /** Long enough that no holder expires while a test on a loaded machine is merely slow. */
  static final Duration TTL = Deadlines.WAIT;
  /** For the expiry test alone: outlasts a slow round trip or two, and is waited out once. */
  static final Duration SHORT_TTL = Deadlines.loaded(Duration.ofMillis(300));

  ActiveCounters counters;
  final String owner = "owner-" + UUID.randomUUID();

  /** Counters whose holders live {@code ttl} without a refresh. */
  abstract ActiveCounters create(Vertx vertx, Duration ttl);

  /** Returns once a holder of {@code expiring} (made with {@link #SHORT_TTL}) stamped before the call has expired. */
  abstract void passTtl(ActiveCounters expiring);

  @BeforeEach
  void setUp(Vertx vertx) {
    counters = create(vertx, TTL);
  }

  @AfterEach
  void tearDown() {
    await(counters.close());
  }

  @Test
  void limitIsNeverExceededUnderConcurrentHolds() throws Exception {
    int callers = 50;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> holds = new ArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(10);
    try {
      List<java.util.concurrent.Future<Future<Boolean>>> submitted = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        String holder = "job-" + i;
        submitted.add(threads.submit(() -> {
          go.await();
          return counters.tryHold(CounterKind.JOBS, owner, holder, 3);
        }));
      }
      go.countDown();
      for (var s : submitted) {
        holds.add(s.get());
      }
    } finally {
      threads.shutdown();
    }
    await(Future.all(holds));

    long granted = holds.stream().filter(Future::result).count();
    assertEquals(3, granted, "exactly the limit is granted");
    assertEquals(3, await(counters.count(CounterKind.JOBS, owner)));
    assertEquals(0, await(counters.count(CounterKind.STREAMS, owner)), "streams are a counter of their own");
  }

  @Test
  void releaseFreesAPlace() {
    assertTrue(await(counters.tryHold(CounterKind.STREAMS, owner, "a", 1)));
    assertFalse(await(counters.tryHold(CounterKind.STREAMS, owner, "b", 1)));

    await(counters.release(CounterKind.STREAMS, owner, "a"));
    await(counters.release(CounterKind.STREAMS, owner, "never-held"));

    assertEquals(0, await(counters.count(CounterKind.STREAMS, owner)));
    assertTrue(await(counters.tryHold(CounterKind.STREAMS, owner, "b", 1)));
  }

  @Test
  void repeatedHoldIsGrantedAndCountsOnce() {
    assertTrue(await(counters.tryHold(CounterKind.JOBS, owner, "a", 2)));
    assertTrue(await(counters.tryHold(CounterKind.JOBS, owner, "a", 2)));
    assertEquals(1, await(counters.count(CounterKind.JOBS, owner)));

    assertTrue(await(counters.tryHold(CounterKind.JOBS, owner, "b", 2)));
    assertTrue(await(counters.tryHold(CounterKind.JOBS, owner, "a", 2)), "a holder at the limit keeps its place");
    assertFalse(await(counters.tryHold(CounterKind.JOBS, owner, "c", 2)));
    assertEquals(2, await(counters.count(CounterKind.JOBS, owner)));
  }

  @Test
  void refreshReaddsMissingHoldersWithoutLookingAtTheLimit() {
    assertTrue(await(counters.tryHold(CounterKind.JOBS, owner, "a", 1)));

    await(counters.refresh(CounterKind.JOBS, owner, List.of("a", "lost")));

    assertEquals(2, await(counters.count(CounterKind.JOBS, owner)));
  }

  @Test
  void holderThatIsNeitherRefreshedNorReleasedExpires(Vertx vertx) {
    ActiveCounters expiring = create(vertx, SHORT_TTL);
    try {
      assertTrue(await(expiring.tryHold(CounterKind.JOBS, owner, "crashed", 1)));
      assertFalse(await(expiring.tryHold(CounterKind.JOBS, owner, "next", 1)));

      passTtl(expiring);

      assertTrue(await(expiring.tryHold(CounterKind.JOBS, owner, "next", 1)));
      assertEquals(1, await(expiring.count(CounterKind.JOBS, owner)));
    } finally {
      await(expiring.close());
    }
  }
}
