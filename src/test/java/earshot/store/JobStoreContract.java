package earshot.store;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.jobs.AcquireSpec;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.jobs.NewJob;
import earshot.jobs.ProgressSpan;
import earshot.jobs.StagePlan;
import earshot.testsupport.Databases;
import earshot.testsupport.MutableClock;
import earshot.tiers.Tiers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One contract for every {@link JobStore}: each implementation has a subclass that names its database, and must
 * pass the same assertions.
 */
abstract class JobStoreContract {
  static final Duration LEASE = Duration.ofSeconds(30);

  @TempDir
  Path tempDir;

  Vertx vertx;
  MutableClock clock;
  JobStore store;
  EarshotConfig.Store config;

  abstract Databases.Kind kind();

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    config = new EarshotConfig.Store(kind().newUrl(tempDir), 16);
    store = await(JobStores.open(vertx, config, clock));
  }

  @AfterEach
  void close() {
    await(store.close());
    await(vertx.close());
  }

  Job submit(String owner, int priority) {
    return submit(owner, priority, 3, null);
  }

  Job submit(String owner, int priority, int maxRetries, String key) {
    clock.advance(Duration.ofMillis(1)); // distinct created_at, so age order is well defined
    NewJob job = new NewJob(UUID.randomUUID().toString(), owner, JobStage.AUDIO_CONVERT, "default", priority, maxRetries,
        new JsonObject().put("local_path", "/tmp/a.wav"), key);
    return await(store.insert(job)).job();
  }

  List<Job> acquire(String worker, int n, int ownerLimit, boolean strict) {
    return await(store.acquire(new AcquireSpec("default", worker, n, LEASE, Tiers.uniform(ownerLimit), strict)));
  }

  @Test
  void migrationsAreIdempotentAndTheStoreAnswers() {
    await(store.migrate());
    await(store.ping());
  }

  @Test
  void insertedJobIsQueuedWithEveryField() {
    Job job = submit("alice", 3);
    assertTrue(job.id() > 0);
    assertNotNull(job.uuid());
    assertEquals("alice", job.ownerUserId());
    assertEquals("audio", job.domain());
    assertEquals(JobStage.AUDIO_CONVERT, job.jobType());
    assertEquals(JobStatus.QUEUED, job.status());
    assertEquals(3, job.priority());
    assertEquals(0, job.retryCount());
    assertEquals(0, job.progress());
    assertEquals("/tmp/a.wav", job.payload().getString("local_path"));
    assertEquals(job, await(store.get(job.id())).orElseThrow());
  }

  @Test
  void repeatedIdempotencyKeyReturnsTheFirstJob() {
    Job first = submit("alice", 0, 3, "key-1");
    NewJob again = new NewJob(UUID.randomUUID().toString(), "alice", JobStage.AUDIO_CONVERT, "default", 0, 3, new JsonObject(), "key-1");
    JobStore.Submitted second = await(store.insert(again));
    assertFalse(second.created());
    assertEquals(first.id(), second.job().id());
    // The same key from another owner is another job.
    NewJob other = new NewJob(UUID.randomUUID().toString(), "bob", JobStage.AUDIO_CONVERT, "default", 0, 3, new JsonObject(), "key-1");
    assertTrue(await(store.insert(other)).created());
  }

  @Test
  void insertAllCommitsInOrderAndHonoursKeysWithinAndBeforeTheBatch() {
    Job earlier = submit("alice", 0, 3, "key-0");
    List<NewJob> batch = List.of(newJob("alice", "key-1"), newJob("bob", null), newJob("alice", "key-1"),
        newJob("alice", "key-0"), newJob("bob", "key-1"));
    List<JobStore.Submitted> results = await(store.insertAll(batch));
    assertEquals(List.of(true, true, false, false, true), results.stream().map(JobStore.Submitted::created).toList());
    for (int i : new int[] {0, 1, 4}) {
      assertEquals(batch.get(i).uuid(), results.get(i).job().uuid());
      assertEquals(results.get(i).job(), await(store.get(results.get(i).job().id())).orElseThrow());
    }
    assertEquals(results.get(0).job().id(), results.get(2).job().id());
    assertEquals(earlier.id(), results.get(3).job().id());
    assertEquals(4, await(store.list(new earshot.jobs.JobQuery(null, null, 50, null))).size());
  }

  NewJob newJob(String owner, String key) {
    return new NewJob(UUID.randomUUID().toString(), owner, JobStage.AUDIO_CONVERT, "default", 0, 3, new JsonObject(), key);
  }

  @Test
  void acquireTakesHighestPriorityThenOldest() {
    Job low = submit("a", 0);
    Job highOld = submit("b", 5);
    Job mid = submit("c", 1);
    Job highNew = submit("d", 5);
    List<Long> order = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      order.add(acquire("w", 1, 10, false).getFirst().id());
    }
    assertEquals(List.of(highOld.id(), highNew.id(), mid.id(), low.id()), order);
    assertTrue(acquire("w", 1, 10, false).isEmpty());
  }

  @Test
  void acquireSetsTheLeaseAndANewFencingToken() {
    Job queued = submit("alice", 0);
    Job leased = acquire("worker-1", 1, 10, false).getFirst();
    assertEquals(JobStatus.PROCESSING, leased.status());
    assertEquals("worker-1", leased.leaseOwner());
    assertEquals(clock.instant().plus(LEASE), leased.leaseExpiresAt());
    assertTrue(leased.leaseToken() > queued.leaseToken());
    assertNotNull(leased.startedAt());
  }

  @Test
  void ownerAtLimitIsSkippedAndOthersStillServed() {
    for (int i = 0; i < 3; i++) {
      submit("busy", 9);
    }
    Job other = submit("quiet", 0);
    List<Job> first = acquire("w", 10, 2, false);
    assertEquals(3, first.size(), "two of busy's jobs and quiet's job");
    assertEquals(2, first.stream().filter(j -> j.ownerUserId().equals("busy")).count());
    assertTrue(first.stream().anyMatch(j -> j.id() == other.id()));
    assertTrue(acquire("w", 10, 2, false).isEmpty(), "busy is at its limit");
    // Finishing one of busy's jobs frees a slot.
    Job done = first.stream().filter(j -> j.ownerUserId().equals("busy")).findFirst().orElseThrow();
    assertTrue(await(store.complete(done.lease(), done.payload(), new JsonObject())).isPresent());
    assertEquals(1, acquire("w", 10, 2, false).size());
  }

  @Test
  void ownerStrictRotatesBetweenOwners() {
    for (int i = 0; i < 50; i++) {
      submit("flood", 0);
    }
    Job single = submit("single", 0);
    List<Job> plain = acquire("w", 2, 100, false);
    assertTrue(plain.stream().noneMatch(j -> j.id() == single.id()), "without strict mode age order wins");
    List<Job> strict = acquire("w", 2, 100, true);
    assertTrue(strict.stream().anyMatch(j -> j.id() == single.id()), "strict mode gives the single job a turn");
  }

  @Test
  void ownerStrictTakesOwnersInTurn() {
    for (String owner : List.of("a", "a", "a", "b", "b", "b", "c", "c", "c")) {
      submit(owner, 0);
    }
    List<String> turns = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      Job j = acquire("w", 1, 100, true).getFirst();
      turns.add(j.ownerUserId());
      await(store.complete(j.lease(), j.payload(), null));
    }
    assertEquals(List.of("a", "b", "c", "a", "b", "c", "a", "b", "c"), turns);
  }

  @Test
  void fencedCommitFromALostLeaseIsRejected() {
    submit("alice", 0);
    Job stale = acquire("old", 1, 10, false).getFirst();
    clock.advance(LEASE.plusSeconds(1));
    List<Job> rescued = await(store.rescueExpired());
    assertEquals(1, rescued.size());
    assertEquals(JobStatus.QUEUED, rescued.getFirst().status());
    assertEquals(1, rescued.getFirst().retryCount());
    Job fresh = acquire("new", 1, 10, false).getFirst();
    assertEquals(stale.id(), fresh.id());

    JsonObject result = new JsonObject().put("by", "old");
    assertTrue(await(store.complete(stale.lease(), stale.payload(), result)).isEmpty());
    assertTrue(await(store.progress(stale.lease(), 50)).isEmpty());
    assertTrue(await(store.fail(stale.lease(), "x")).isEmpty());
    assertTrue(await(store.heartbeat(List.of(stale.lease()), LEASE)).isEmpty());

    Job done = await(store.complete(fresh.lease(), fresh.payload(), new JsonObject().put("by", "new"))).orElseThrow();
    assertEquals(JobStatus.COMPLETED, done.status());
    assertEquals("new", done.result().getString("by"));
  }

  @Test
  void heartbeatExtendsOnlyHeldLeases() {
    submit("alice", 0);
    submit("alice", 0);
    List<Job> held = acquire("w", 2, 10, false);
    await(store.cancel(held.get(1).id()));
    clock.advance(Duration.ofSeconds(20));
    Set<Long> renewed = await(store.heartbeat(held.stream().map(Job::lease).toList(), LEASE));
    assertEquals(Set.of(held.get(0).id()), renewed);
    clock.advance(Duration.ofSeconds(20)); // past the first lease, within the renewed one
    assertTrue(await(store.rescueExpired()).isEmpty());
  }

  @Test
  void expiredLeaseWithNoRetriesLeftFails() {
    submit("alice", 0, 0, null);
    acquire("w", 1, 10, false);
    clock.advance(LEASE.plusSeconds(1));
    Job failed = await(store.rescueExpired()).getFirst();
    assertEquals(JobStatus.FAILED, failed.status());
    assertTrue(failed.error().contains("lease expired"), failed.error());
    assertNotNull(failed.completedAt());
  }

  @Test
  void retryRequeuesWithBackoffUntilRetriesRunOut() {
    submit("alice", 0, 1, null);
    Job first = acquire("w", 1, 10, false).getFirst();
    Instant later = clock.instant().plusSeconds(10);
    Job retried = await(store.retryOrFail(first.lease(), "network down", later)).orElseThrow();
    assertEquals(JobStatus.QUEUED, retried.status());
    assertEquals(1, retried.retryCount());
    assertEquals(later, retried.availableAt());
    assertTrue(acquire("w", 1, 10, false).isEmpty(), "not available before its backoff");
    clock.advance(Duration.ofSeconds(11));
    Job second = acquire("w", 1, 10, false).getFirst();
    Job failed = await(store.retryOrFail(second.lease(), "network down", clock.instant())).orElseThrow();
    assertEquals(JobStatus.FAILED, failed.status());
    assertEquals("network down", failed.error());
  }

  @Test
  void advanceMovesTheJobToItsNextStageAndQueue() {
    submit("alice", 0);
    Job leased = acquire("w", 1, 10, false).getFirst();
    JsonObject payload = leased.payload().put("wav", "/data/x.wav");
    Job next = await(store.advance(leased.lease(), payload, JobStage.AUDIO_TRANSCRIBE, "transcribe",
        StagePlan.span(JobStage.AUDIO_TRANSCRIBE, payload))).orElseThrow();
    assertEquals(JobStatus.QUEUED, next.status());
    assertEquals(JobStage.AUDIO_TRANSCRIBE, next.jobType());
    assertEquals("transcribe", next.queue());
    assertEquals("/data/x.wav", next.payload().getString("wav"));
    assertNull(next.leaseOwner());
    assertEquals(Map.of("transcribe", 1L), await(store.queueDepths()));
  }

  /** Where a stage's own {@code p} percent puts the job: the same formula the stores apply. */
  static int at(ProgressSpan span, int p) {
    return span.from() + (span.to() - span.from()) * p / 100;
  }

  @Test
  void jobProgressOnlyRisesThroughStagesRetriesALostLeaseAndARequeue() {
    Job job = submit("alice", 0); // convert, transcribe, chunk, store
    JsonObject payload = job.payload();
    ProgressSpan convert = StagePlan.span(JobStage.AUDIO_CONVERT, payload);
    ProgressSpan transcribe = StagePlan.span(JobStage.AUDIO_TRANSCRIBE, payload);
    assertEquals(0, job.progress());
    Job converting = acquire("w", 1, 10, false).getFirst();
    Job half = await(store.progress(converting.lease(), 50)).orElseThrow();
    assertEquals(50, half.stageProgress());
    assertEquals(at(convert, 50), half.progress());

    Job queued = await(store.advance(converting.lease(), payload, JobStage.AUDIO_TRANSCRIBE, "default", transcribe))
        .orElseThrow();
    assertEquals(transcribe.from(), queued.progress(), "the next stage starts where the last one ended");
    assertEquals(0, queued.stageProgress());
    Job first = acquire("w", 1, 10, false).getFirst();
    int at99 = await(store.progress(first.lease(), 99)).orElseThrow().progress();
    assertEquals(at(transcribe, 99), at99);

    Job retried = await(store.retryOrFail(first.lease(), "gpu busy", clock.instant())).orElseThrow();
    assertEquals(JobStatus.QUEUED, retried.status());
    assertEquals(at99, retried.progress(), "a retry keeps the job's progress");
    assertEquals(0, retried.stageProgress(), "the stage starts over");
    Job second = acquire("w", 1, 10, false).getFirst();
    Job again = await(store.progress(second.lease(), 30)).orElseThrow();
    assertEquals(30, again.stageProgress());
    assertEquals(at99, again.progress(), "the retried stage never lowers the job's progress");

    clock.advance(LEASE.plusSeconds(1));
    Job rescued = await(store.rescueExpired()).getFirst();
    assertEquals(at99, rescued.progress());
    assertEquals(0, rescued.stageProgress());

    Job third = acquire("w", 1, 10, false).getFirst();
    Job failed = await(store.fail(third.lease(), "bad audio")).orElseThrow();
    Job requeued = await(store.requeue(failed.id(), JobStage.AUDIO_CONVERT, "default", convert)).orElseThrow();
    assertEquals(at99, requeued.progress(), "starting again from the first stage keeps the job's progress");
    assertEquals(JobStage.AUDIO_CONVERT, requeued.jobType());
    Job reconverting = acquire("w", 1, 10, false).getFirst();
    assertEquals(at99, await(store.progress(reconverting.lease(), 100)).orElseThrow().progress());
    Job done = await(store.complete(reconverting.lease(), payload, null)).orElseThrow();
    assertEquals(100, done.progress());
    assertEquals(100, done.stageProgress());
    assertEquals(done, await(store.get(job.id())).orElseThrow());
  }

  @Test
  void releaseGivesTheJobBackWithoutPenalty() {
    submit("alice", 0);
    Job leased = acquire("w", 1, 10, false).getFirst();
    Job released = await(store.release(leased.lease())).orElseThrow();
    assertEquals(JobStatus.QUEUED, released.status());
    assertEquals(0, released.retryCount());
    assertEquals(1, acquire("w", 1, 10, false).size());
  }

  @Test
  void cancelStopsQueuedAndProcessingJobsButNotFinishedOnes() {
    Job queued = submit("alice", 0);
    Job processing = submit("alice", 0);
    await(store.cancel(queued.id())); // cancel first, so the next acquire takes the other one
    Job leased = acquire("w", 1, 10, false).getFirst();
    assertEquals(processing.id(), leased.id());
    assertEquals(JobStatus.CANCELLED, await(store.get(queued.id())).orElseThrow().status());
    assertEquals(JobStatus.CANCELLED, await(store.cancel(leased.id())).orElseThrow().status());
    assertTrue(await(store.cancel(leased.id())).isEmpty(), "already cancelled");
    assertTrue(await(store.complete(leased.lease(), leased.payload(), null)).isEmpty(), "runner is fenced off");
    assertTrue(await(store.cancel(999_999)).isEmpty());
  }

  /**
   * Eight acquirers race over 200 jobs from 5 owners with a limit of 2: no owner ever runs more than 2, and no job
   * is ever leased to two acquirers at once.
   */
  @Test
  void concurrentAcquirersNeverOverAdmitAnOwnerNorDoubleLease() {
    int owners = 5;
    int limit = 2;
    for (int i = 0; i < 200; i++) {
      submit("owner-" + (i % owners), i % 3);
    }
    Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    Set<Long> held = ConcurrentHashMap.newKeySet();
    Set<Long> finished = ConcurrentHashMap.newKeySet();
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicInteger maxSeen = new AtomicInteger();

    List<Future<Void>> acquirers = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      Promise<Void> done = Promise.promise();
      loop("acquirer-" + w, limit, active, held, finished, violations, maxSeen, done);
      acquirers.add(done.future());
    }
    await(Future.all(acquirers), Duration.ofMinutes(2));

    assertEquals(List.of(), violations);
    assertEquals(200, finished.size());
    assertTrue(maxSeen.get() <= limit, "max concurrent per owner was " + maxSeen.get());
    Map<String, Long> statuses = await(store.queueDepths());
    assertTrue(statuses.isEmpty(), "nothing left queued: " + statuses);
  }

  private void loop(String worker, int limit, Map<String, AtomicInteger> active, Set<Long> held, Set<Long> finished,
                    List<String> violations, AtomicInteger maxSeen, Promise<Void> done) {
    store.acquire(new AcquireSpec("default", worker, 3, LEASE, Tiers.uniform(limit), false))
        .compose(jobs -> {
          if (jobs.isEmpty()) {
            return Future.succeededFuture(false);
          }
          for (Job j : jobs) {
            if (!held.add(j.id())) {
              violations.add("job " + j.id() + " leased twice at once");
            }
            int n = active.computeIfAbsent(j.ownerUserId(), o -> new AtomicInteger()).incrementAndGet();
            maxSeen.accumulateAndGet(n, Math::max);
            if (n > limit) {
              violations.add(j.ownerUserId() + " had " + n + " running");
            }
          }
          List<Future<?>> completions = new ArrayList<>();
          for (Job j : jobs) {
            // Release our bookkeeping before the commit, so a racing acquirer can never look like a violation.
            active.get(j.ownerUserId()).decrementAndGet();
            held.remove(j.id());
            completions.add(store.complete(j.lease(), j.payload(), null).map(r -> {
              if (r.isEmpty()) {
                violations.add("commit of job " + j.id() + " was fenced off");
              }
              finished.add(j.id());
              return null;
            }));
          }
          return Future.all(completions).map(true);
        })
        .onSuccess(more -> {
          if (more || finished.size() < 200) {
            if (!more) {
              // Others hold the remaining jobs (or their owners are at the limit); look again shortly.
              vertx.setTimer(5, id -> loop(worker, limit, active, held, finished, violations, maxSeen, done));
            } else {
              loop(worker, limit, active, held, finished, violations, maxSeen, done);
            }
          } else {
            done.complete();
          }
        })
        .onFailure(done::fail);
  }

  @Test
  void listPagesNewestFirstByOwnerAndStatus() {
    List<Long> alice = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      alice.add(submit("alice", 0).id());
      submit("bob", 0);
    }
    await(store.cancel(alice.get(4)));
    List<Job> page1 = await(store.list(new earshot.jobs.JobQuery("alice", null, 2, null)));
    assertEquals(List.of(alice.get(4), alice.get(3)), page1.stream().map(Job::id).toList());
    List<Job> page2 = await(store.list(new earshot.jobs.JobQuery("alice", null, 2, page1.getLast().id())));
    assertEquals(List.of(alice.get(2), alice.get(1)), page2.stream().map(Job::id).toList());
    List<Job> cancelled = await(store.list(new earshot.jobs.JobQuery(null, JobStatus.CANCELLED, 50, null)));
    assertEquals(List.of(alice.get(4)), cancelled.stream().map(Job::id).toList());
    assertEquals(10, await(store.list(new earshot.jobs.JobQuery(null, null, 50, null))).size());
  }

  long position(Job job) {
    return await(store.getWithPosition(job.id())).orElseThrow().queuePosition();
  }

  @Test
  void queuePositionFollowsAcquisitionOrder() {
    Job first = submit("a", 0);
    Job urgent = submit("b", 5);
    Job last = submit("c", 0);
    assertEquals(1L, position(urgent));
    assertEquals(2L, position(first));
    assertEquals(3L, position(last));
    assertEquals(3L, await(store.getWithPosition(last.id())).orElseThrow().queuePosition());
    Job leased = acquire("w", 1, 10, false).getFirst();
    assertEquals(0L, position(leased));
    assertEquals(1L, position(first));
    JobStore.Positioned read = await(store.getWithPosition(leased.id())).orElseThrow();
    assertEquals(0L, read.queuePosition());
    assertEquals(JobStatus.PROCESSING, read.job().status());
    assertEquals(2L, await(store.getWithPosition(last.id())).orElseThrow().queuePosition());
    assertTrue(await(store.getWithPosition(424242)).isEmpty());
  }

  /** Runs {@code test} with a reader of its own, closed afterwards. */
  void withReader(java.util.function.Consumer<JobReader> test) {
    JobReader reader = JobStores.openReader(vertx, config);
    try {
      test.accept(reader);
    } finally {
      await(reader.close());
    }
  }

  @Test
  void aReaderTellsTheStatusesOfJobsByUuid() {
    withReader(reader -> {
      Job queued = submit("a", 0);
      Job cancelled = submit("b", 0);
      await(store.cancel(cancelled.id()));
      java.util.Map<String, String> found = await(reader.statusesByUuid(
          List.of(queued.uuid(), cancelled.uuid(), "no-such-job")));
      assertEquals(java.util.Map.of(queued.uuid(), "queued", cancelled.uuid(), "cancelled"), found);
      assertEquals(java.util.Map.of(), await(reader.statusesByUuid(List.of())));
    });
  }

  @Test
  void aReaderSeesEveryCommittedChangeAtOnce() {
    withReader(reader -> {
      Job first = submit("a", 0);
      Job second = submit("b", 0);
      assertEquals(2L, await(reader.getWithPosition(second.id())).orElseThrow().queuePosition());
      Job leased = acquire("w", 1, 10, false).getFirst();
      JobStore.Positioned read = await(reader.getWithPosition(first.id())).orElseThrow();
      assertEquals(JobStatus.PROCESSING, read.job().status());
      assertEquals(0L, read.queuePosition());
      assertEquals(1L, await(reader.getWithPosition(second.id())).orElseThrow().queuePosition());
      Job at40 = await(store.progress(leased.lease(), 40)).orElseThrow();
      Job read40 = await(reader.getWithPosition(first.id())).orElseThrow().job();
      assertEquals(40, read40.stageProgress());
      assertEquals(at40.progress(), read40.progress());
      await(store.cancel(second.id()));
      assertEquals(JobStatus.CANCELLED, await(reader.getWithPosition(second.id())).orElseThrow().job().status());
      assertEquals(await(store.get(first.id())), await(reader.getWithPosition(first.id())).map(JobStore.Positioned::job));
      assertTrue(await(reader.getWithPosition(424242)).isEmpty());
    });
  }

  @Test
  void aReaderAnswersABatchInTheOrderAskedWithRepeatsAndMisses() {
    withReader(reader -> {
      Job first = submit("a", 0);
      Job second = submit("b", 5);
      Job leased = acquire("w", 1, 10, false).getFirst();
      assertEquals(second.id(), leased.id()); // the higher priority goes first
      List<Optional<JobStore.Positioned>> read =
          await(reader.getAll(List.of(second.id(), 424242L, first.id(), second.id())));
      assertEquals(4, read.size());
      assertEquals(await(store.get(second.id())).orElseThrow(), read.get(0).orElseThrow().job());
      assertEquals(JobStatus.PROCESSING, read.get(0).orElseThrow().job().status());
      assertTrue(read.get(1).isEmpty());
      assertEquals(first.id(), read.get(2).orElseThrow().job().id());
      assertEquals(1L, read.get(2).orElseThrow().queuePosition());
      assertEquals(read.get(0), read.get(3));
      // What insert answered is the row as any read maps it.
      assertEquals(first, read.get(2).orElseThrow().job());
      assertEquals(List.of(Optional.empty()), await(reader.getAll(List.of(424242L))));
    });
  }

  @Test
  void countsAndQueueStats() {
    submit("alice", 0);
    submit("alice", 0);
    submit("bob", 0);
    acquire("w", 1, 10, false);
    clock.advance(Duration.ofSeconds(7));
    assertEquals(Map.of("queued", 1L, "processing", 1L), await(store.countsByStatus("alice")));
    assertEquals(Map.of("queued", 2L, "processing", 1L), await(store.countsByStatus(null)));
    List<earshot.jobs.QueueStats> stats = await(store.queueStats());
    assertEquals(1, stats.size());
    assertEquals("default", stats.getFirst().queue());
    assertEquals(2, stats.getFirst().queued());
    assertEquals(1, stats.getFirst().processing());
    assertTrue(stats.getFirst().oldestQueuedAgeSeconds() >= 7.0, String.valueOf(stats.getFirst()));
  }

  @Test
  void queueDepthsCountQueuedJobsPerQueue() {
    submit("a", 0);
    submit("b", 0);
    acquire("w", 1, 10, false);
    assertEquals(Map.of("default", 1L), await(store.queueDepths()));
    assertEquals(Set.of("default"), await(store.queueDepths()).keySet().stream().collect(Collectors.toSet()));
  }

  @Test
  void deliveryAttemptsAreRecordedOnceEachAndListedOldestFirst() {
    Job job = submit("alice", 0);
    Job other = submit("bob", 0);
    earshot.jobs.DeliveryAttempt first = new earshot.jobs.DeliveryAttempt(job.id(), "d-1", "job.completed",
        "http://127.0.0.1:9/hook", 1, 500, "answered 500", 12, null);
    assertTrue(await(store.recordDelivery(first)));
    assertFalse(await(store.recordDelivery(first)), "the same attempt of the same delivery is recorded once");
    clock.advance(Duration.ofSeconds(1));
    assertTrue(await(store.recordDelivery(new earshot.jobs.DeliveryAttempt(job.id(), "d-1", "job.completed",
        "http://127.0.0.1:9/hook", 2, 200, null, 7, null))));
    assertTrue(await(store.recordDelivery(new earshot.jobs.DeliveryAttempt(other.id(), "d-2", "job.failed",
        "http://10.0.0.1/hook", 1, null, "refused: private address", 0, null))));

    List<earshot.jobs.DeliveryAttempt> attempts = await(store.deliveries(job.id()));
    assertEquals(2, attempts.size());
    earshot.jobs.DeliveryAttempt a1 = attempts.get(0);
    assertEquals(job.id(), a1.jobId());
    assertEquals("d-1", a1.deliveryId());
    assertEquals("job.completed", a1.event());
    assertEquals("http://127.0.0.1:9/hook", a1.url());
    assertEquals(1, a1.attempt());
    assertEquals(500, a1.statusCode());
    assertEquals("answered 500", a1.error());
    assertEquals(12, a1.durationMs());
    assertEquals(Instant.parse("2026-11-23T10:00:00.002Z"), a1.createdAt());
    assertEquals(2, attempts.get(1).attempt());
    assertEquals(200, attempts.get(1).statusCode());
    assertNull(attempts.get(1).error());
    assertTrue(attempts.get(1).createdAt().isAfter(a1.createdAt()));

    earshot.jobs.DeliveryAttempt refused = await(store.deliveries(other.id())).getFirst();
    assertNull(refused.statusCode());
    assertEquals("refused: private address", refused.error());
    assertEquals(List.of(), await(store.deliveries(424242)));
  }
}
