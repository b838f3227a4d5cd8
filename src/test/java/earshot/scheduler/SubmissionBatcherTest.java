package earshot.scheduler;

import earshot.jobs.JobStage;
import earshot.jobs.NewJob;
import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.store.JobStore;
import earshot.store.JobStores;
import earshot.testsupport.Await;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group commit: a burst shares transactions, every caller gets its own committed job, a bad batch falls apart. */
class SubmissionBatcherTest {
  @TempDir
  Path tempDir;

  Vertx vertx;
  JobStore real;
  final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  final List<Integer> committedSizes = new CopyOnWriteArrayList<>();
  volatile boolean failBatches;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    real = await(JobStores.open(vertx, new EarshotConfig.Store(Databases.sqliteUrl(tempDir), 4), Clock.systemUTC()));
  }

  @AfterEach
  void close() {
    await(real.close());
    await(vertx.close());
  }

  /** The real store, recording every insertAll and refusing it while {@link #failBatches} is set. */
  JobStore recording() {
    return (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("insertAll")) {
            batchSizes.add(((List<?>) args[0]).size());
            if (failBatches) {
              return Future.failedFuture("batch refused");
            }
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** Submits {@code n} jobs in one go from the batcher's own event loop, as the scheduler does. */
  List<JobStore.Submitted> burst(int n) {
    Promise<List<JobStore.Submitted>> all = Promise.promise();
    vertx.runOnContext(v -> {
      SubmissionBatcher batcher = new SubmissionBatcher(vertx.getOrCreateContext(), recording(),
          batch -> committedSizes.add(batch.size()));
      List<Future<JobStore.Submitted>> each = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        each.add(batcher.submit(new NewJob(UUID.randomUUID().toString(), "owner-" + (i % 3), JobStage.AUDIO_CONVERT,
            "default", 0, 3, new JsonObject().put("n", i), i % 5 == 0 ? "key-" + i : null)));
      }
      Future.all(each).map(f -> f.<JobStore.Submitted>list()).onComplete(all);
    });
    return await(all.future());
  }

  @Test
  void aBurstSharesTransactionsAndEveryCallerGetsItsOwnCommittedJob() {
    List<JobStore.Submitted> results = burst(100);
    assertEquals(100, results.size());
    assertTrue(results.stream().allMatch(JobStore.Submitted::created));
    for (int i = 0; i < 100; i++) {
      assertEquals(i, results.get(i).job().payload().getInteger("n"));
      assertEquals(results.get(i).job(), await(real.get(results.get(i).job().id())).orElseThrow());
    }
    // Submitted in one task of the scheduler's event loop (as one batch message is): one transaction.
    assertEquals(List.of(100), committedSizes);
  }

  @Test
  void aFailedBatchIsRetriedRowByRowSoEachCallerGetsItsOwnOutcome() {
    failBatches = true;
    List<JobStore.Submitted> results = burst(20);
    assertFalse(batchSizes.isEmpty());
    // Every row is committed on its own once its batch was refused.
    assertEquals(20, committedSizes.size());
    assertTrue(committedSizes.stream().allMatch(n -> n == 1));
    Set<Long> ids = results.stream().map(s -> s.job().id()).collect(Collectors.toSet());
    assertEquals(20, ids.size());
    assertFalse(results.stream().anyMatch(s -> !s.created()));
  }

  /** Postgres serves concurrent writers: up to {@code concurrentWrites} transactions run at once, no more. */
  @Test
  void aStoreWithConcurrentWritersGetsThatManyTransactionsAtOnce() {
    JobStore postgres = await(JobStores.open(vertx, new EarshotConfig.Store(Databases.postgresUrl(), 4),
        Clock.systemUTC()));
    try {
      assertEquals(2, postgres.concurrentWrites());
      List<Promise<Void>> gates = new CopyOnWriteArrayList<>();
      JobStore gated = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(),
          new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
            if (method.getName().equals("insertAll")) {
              Promise<Void> gate = Promise.promise();
              gates.add(gate);
              @SuppressWarnings("unchecked")
              List<NewJob> jobs = (List<NewJob>) args[0];
              return gate.future().compose(v -> postgres.insertAll(jobs));
            }
            return method.invoke(postgres, args);
          });
      Promise<SubmissionBatcher> made = Promise.promise();
      vertx.runOnContext(v -> made.complete(new SubmissionBatcher(vertx.getOrCreateContext(), gated, b -> { })));
      SubmissionBatcher batcher = await(made.future());
      List<Future<JobStore.Submitted>> all = new CopyOnWriteArrayList<>();
      for (int burst = 0; burst < 3; burst++) { // three tasks of the scheduler's event loop, one after another
        int b = burst;
        Promise<Void> issued = Promise.promise();
        vertx.runOnContext(v -> {
          for (int i = 0; i < 3; i++) {
            all.add(batcher.submit(new NewJob(UUID.randomUUID().toString(), "owner", JobStage.AUDIO_CONVERT,
                "default", 0, 3, new JsonObject().put("burst", b), null)));
          }
          issued.complete();
        });
        await(issued.future());
      }
      Await.until("two transactions in flight", Deadlines.WAIT, () -> gates.size() == 2);
      gates.getFirst().complete(); // the third burst takes the lane this frees
      Await.until("the third transaction", Deadlines.WAIT, () -> gates.size() == 3);
      gates.forEach(Promise::tryComplete);
      List<JobStore.Submitted> results = await(Future.all(all).map(f -> f.<JobStore.Submitted>list()));
      assertEquals(9, results.stream().filter(JobStore.Submitted::created).map(r -> r.job().id()).distinct().count());
      assertEquals(3, gates.size());
    } finally {
      await(postgres.close());
    }
  }
}
