package earshot.quota;

import earshot.tiers.Tiers;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.bus.ActiveCounts;
import earshot.bus.ActiveCountsReply;
import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.config.EarshotConfig;
import earshot.jobs.AcquireSpec;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.jobs.NewJob;
import earshot.jobs.StagePlan;
import earshot.metrics.NoopQuotaMetrics;
import earshot.store.JobStore;
import earshot.store.JobStores;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The after-acquisition check on its own: a real store and this node's in-process counters. A full counter sends the
 * job back without penalty; a late event about an earlier lease of the same job never frees the newer lease's place.
 */
class ActiveJobGateTest {
  static final Tiers ONE_AT_A_TIME = Tiers.uniform(1);

  @TempDir
  Path tempDir;

  final Vertx vertx = Vertx.vertx();
  Context context;
  JobStore store;
  ActiveJobGate gate;
  final List<Job> sentBack = new ArrayList<>();

  @BeforeEach
  void start() {
    await(vertx.deployVerticle(new QuotaVerticle(null, Duration.ofMinutes(2), NoopQuotaMetrics.INSTANCE,
        Clock.systemUTC())));
    store = await(JobStores.open(vertx, new EarshotConfig.Store(Databases.Kind.SQLITE.newUrl(tempDir), 4),
        Clock.systemUTC()));
    context = vertx.getOrCreateContext();
    gate = onContext(() -> {
      // As with Redis: every lease is checked against the counters (the QuotaVerticle here counts in-process).
      ActiveJobGate g = new ActiveJobGate(vertx, store, ONE_AT_A_TIME, NoopQuotaMetrics.INSTANCE, Clock.systemUTC(),
          Duration.ofSeconds(30), true);
      return g.register().map(v -> g);
    });
  }

  @AfterEach
  void stop() {
    await(store.close());
    await(vertx.close());
  }

  /** Runs on the gate's context, as the scheduler does. */
  <T> T onContext(Supplier<Future<T>> work) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> work.get().onComplete(done));
    return await(done.future());
  }

  Job submitAndLease(String owner) {
    await(store.insert(new NewJob(UUID.randomUUID().toString(), owner, JobStage.AUDIO_CONVERT, "default", 0, 3,
        new JsonObject(), null)));
    // The store is asked with a generous limit: the gate alone stands between this job and a second one.
    return await(store.acquire(new AcquireSpec("default", "w", 1, Duration.ofMinutes(1), Tiers.uniform(10), false)))
        .getFirst();
  }

  List<Job> admit(Job job) {
    // No owner here has a stored tier, as the acquisition would have read: the gate's default tier applies.
    return onContext(() -> gate.admit(List.of(job), java.util.Map.of(), sentBack::add));
  }

  int active(String owner) {
    return ActiveCountsReply.fromJson(await(vertx.eventBus().<JsonObject>request(Addresses.QUOTA_ACTIVE,
        new ActiveCounts(owner).toJson())).body()).jobs();
  }

  void publish(Job job, JobStatus status, long token) {
    JobEvent e = JobEvent.of(job);
    vertx.eventBus().publish(Addresses.JOB_EVENTS, new JobEvent(e.id(), e.uuid(), e.ownerUserId(), e.jobType(),
        e.queue(), status.wireName(), 0, 0, 0, null, null, token).toJson());
  }

  @Test
  void aFullCounterSendsTheJobBackWithoutPenalty() {
    Job first = submitAndLease("ann");
    assertEquals(List.of(first), admit(first));
    Job second = submitAndLease("ann");
    assertTrue(admit(second).isEmpty(), "ann already runs one job");
    assertEquals(1, sentBack.size());
    assertEquals(JobStatus.QUEUED, sentBack.getFirst().status());
    assertEquals(0, sentBack.getFirst().retryCount(), "no retry is charged");
    assertEquals(1, active("ann"));
    Job bobs = submitAndLease("bob");
    assertEquals(List.of(bobs), admit(bobs), "other owners are not affected");
    assertEquals(1, active("bob"));
    assertEquals(1, sentBack.size());
  }

  @Test
  void aLateEventAboutAnEarlierLeaseDoesNotFreeTheNewerOne() {
    Job job = submitAndLease("ann");
    admit(job);
    // The stage ended and the job was leased again for its next stage before the first lease's event arrived.
    await(store.advance(job.lease(), job.payload(), JobStage.AUDIO_TRANSCRIBE, "default",
        StagePlan.span(JobStage.AUDIO_TRANSCRIBE, job.payload())));
    Job next = await(store.acquire(new AcquireSpec("default", "w", 1, Duration.ofMinutes(1), Tiers.uniform(10),
        false))).getFirst();
    assertEquals(job.leaseToken() + 1, next.leaseToken());
    onContext(() -> {
      gate.release(job.lease());
      return Future.succeededFuture();
    });
    assertEquals(List.of(next), admit(next));
    publish(job, JobStatus.QUEUED, job.leaseToken()); // the stale event
    publish(next, JobStatus.PROCESSING, next.leaseToken());
    until("both events are handled", Deadlines.WAIT, () -> onContext(() -> Future.succeededFuture(
        gate.held())) == 1 && active("ann") == 1);

    publish(next, JobStatus.COMPLETED, next.leaseToken());
    until("the newer lease's place is freed by its own end", Deadlines.WAIT, () -> active("ann") == 0);
    assertEquals(0, (int) onContext(() -> Future.succeededFuture(gate.held())));
  }
}
