package earshot.store;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.jobs.AcquireSpec;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.NewJob;
import earshot.testsupport.Databases;
import earshot.testsupport.MutableClock;
import earshot.tiers.DailyUsage;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.QuotaType;
import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import earshot.tiers.UtcDay;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quota side of every {@link JobStore}: per-tier limits in the acquire transaction, tier changes, the weighted
 * owner-strict rotation, admission (queued jobs, daily minutes) and the daily-minutes ledger (reserve, settle,
 * refund, across a UTC day boundary). Each store has a subclass.
 */
abstract class QuotaStoreContract {
  static final Duration LEASE = Duration.ofSeconds(30);
  /** free: 1 job at once, 10 daily minutes, files up to 30 minutes, 2 unfinished jobs. */
  static final Tier FREE = new Tier("free", 1, 1, 10, 30, 2, 0, 1);
  /** premium: 3 jobs at once, weight 3, priority +5. */
  static final Tier PREMIUM = new Tier("premium", 3, 3, 100, 600, 100, 5, 3);
  static final Tiers TIERS = new Tiers("free", Map.of("free", FREE, "premium", PREMIUM));

  @TempDir
  Path tempDir;

  Vertx vertx;
  MutableClock clock;
  JobStore store;

  abstract Databases.Kind kind();

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    store = await(JobStores.open(vertx, new EarshotConfig.Store(kind().newUrl(tempDir), 16), clock));
  }

  @AfterEach
  void close() {
    await(store.close());
    await(vertx.close());
  }

  JobStore.Submitted submit(String owner, String key, Tiers tiers) {
    clock.advance(Duration.ofMillis(1));
    NewJob job = new NewJob(UUID.randomUUID().toString(), owner, JobStage.AUDIO_CONVERT, "default", 0, 3,
        new JsonObject(), key, new NewJob.Admission(tiers, UtcDay.today(clock), UtcDay.secondsToMidnight(clock)));
    return await(store.insert(job));
  }

  Job submit(String owner) {
    JobStore.Submitted s = submit(owner, null, unlimitedQueue());
    assertNull(s.refusal(), () -> "unexpected refusal " + s.refusal());
    return s.job();
  }

  /** TIERS without the queued-jobs and daily limits, for tests about something else. */
  static Tiers unlimitedQueue() {
    return new Tiers("free", Map.of(
        "free", new Tier("free", 1, 1, null, 30, null, 0, 1),
        "premium", new Tier("premium", 3, 3, null, 600, null, 5, 3)));
  }

  List<Job> acquire(int n, Tiers tiers, boolean strict) {
    return await(store.acquire(new AcquireSpec("default", "w", n, LEASE, tiers, strict)));
  }

  Job leaseOne(String owner) {
    Job job = submit(owner);
    List<Job> leased = acquire(10, unlimitedQueue(), false);
    return leased.stream().filter(j -> j.id() == job.id()).findFirst().orElseThrow();
  }

  @Test
  void acquisitionAppliesEachOwnersTierLimit() {
    await(store.setTier("pat", "premium"));
    for (int i = 0; i < 5; i++) {
      submit("pat");
      submit("sam");
    }
    List<Job> leased = acquire(10, TIERS, false);
    assertEquals(3, leased.stream().filter(j -> j.ownerUserId().equals("pat")).count(), "premium runs 3");
    assertEquals(1, leased.stream().filter(j -> j.ownerUserId().equals("sam")).count(), "free (default) runs 1");
    assertTrue(acquire(10, TIERS, false).isEmpty(), "both owners are at their limits");
  }

  @Test
  void aTierChangeTakesEffectOnTheNextAcquisition() {
    for (int i = 0; i < 4; i++) {
      submit("sam");
    }
    assertEquals(1, acquire(10, TIERS, false).size());
    assertEquals(Optional.empty(), await(store.tierOf("sam")));
    await(store.setTier("sam", "premium"));
    assertEquals(Optional.of("premium"), await(store.tierOf("sam")));
    assertEquals(2, acquire(10, TIERS, false).size(), "now 3 at once: 2 more");
    await(store.setTier("sam", "free"));
    assertEquals(Map.of("sam", "free"), await(store.tiersOf(List.of("sam", "nobody"))));
  }

  @Test
  void ownerStrictGivesHeavierTiersMoreTurnsAndEqualTiersEqualTurns() {
    await(store.setTier("p", "premium"));
    Tiers roomy = new Tiers("free", Map.of(
        "free", new Tier("free", 50, 1, null, null, null, 0, 1),
        "premium", new Tier("premium", 50, 1, null, null, null, 0, 3)));
    for (int i = 0; i < 20; i++) {
      submit("p");
      submit("s1");
      submit("s2");
    }
    List<String> turns = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      Job j = acquire(1, roomy, true).getFirst();
      turns.add(j.ownerUserId());
      await(store.complete(j.lease(), j.payload(), null));
    }
    assertEquals(9, turns.stream().filter("p"::equals).count(), () -> "premium (weight 3) gets 3 of 5: " + turns);
    assertEquals(3, turns.stream().filter("s1"::equals).count(), turns::toString);
    assertEquals(3, turns.stream().filter("s2"::equals).count(), turns::toString);
  }

  @Test
  void premiumSubmissionsGetTheirPriorityBoost() {
    await(store.setTier("pat", "premium"));
    assertEquals(5, submit("pat").priority());
    assertEquals(0, submit("sam").priority());
  }

  @Test
  void submissionsBeyondMaxQueuedJobsAreRefusedUntilOneFinishes() {
    Job first = submit("sam", "k1", TIERS).job();
    assertNotNull(submit("sam", null, TIERS).job());
    JobStore.Submitted third = submit("sam", null, TIERS);
    assertNull(third.job());
    assertEquals(QuotaType.QUEUED_JOBS, third.refusal().type());
    assertEquals(2, third.refusal().limit());
    assertEquals(first.id(), submit("sam", "k1", TIERS).job().id(), "a repeated key still finds its job");
    assertNotNull(submit("other", null, TIERS).job(), "other owners are not affected");

    Job leased = acquire(1, TIERS, false).getFirst();
    await(store.complete(leased.lease(), leased.payload(), null));
    assertNotNull(submit("sam", null, TIERS).job(), "a finished job frees a place");
  }

  @Test
  void aBatchOfSubmissionsIsAdmittedRowByRow() {
    List<NewJob> batch = new ArrayList<>();
    for (String owner : List.of("sam", "sam", "sam", "pat")) {
      batch.add(new NewJob(UUID.randomUUID().toString(), owner, JobStage.AUDIO_CONVERT, "default", 1, 3,
          new JsonObject(), null, new NewJob.Admission(TIERS, UtcDay.today(clock), UtcDay.secondsToMidnight(clock))));
    }
    await(store.setTier("pat", "premium"));
    List<JobStore.Submitted> out = await(store.insertAll(batch));
    assertNotNull(out.get(0).job());
    assertNotNull(out.get(1).job());
    assertEquals(QuotaType.QUEUED_JOBS, out.get(2).refusal().type(), "the third of sam's rows finds two before it");
    assertEquals(6, out.get(3).job().priority(), "pat's premium boost");

    // Without limits to check, a batch still gets each tier's boost.
    List<NewJob> unchecked = List.of(new NewJob(UUID.randomUUID().toString(), "pat", JobStage.AUDIO_CONVERT,
        "default", 0, 3, new JsonObject(), null, new NewJob.Admission(unlimitedQueue(), UtcDay.today(clock), 1)),
        new NewJob(UUID.randomUUID().toString(), "new", JobStage.AUDIO_CONVERT, "default", 0, 3, new JsonObject(),
            null, new NewJob.Admission(unlimitedQueue(), UtcDay.today(clock), 1)));
    List<JobStore.Submitted> plain = await(store.insertAll(unchecked));
    assertEquals(5, plain.get(0).job().priority());
    assertEquals(0, plain.get(1).job().priority());
  }

  /**
   * Batches may run side by side (Postgres runs several insert transactions at once); two that check the same
   * owners' queued-job limits in opposite orders must not deadlock, which would fail one of them.
   */
  @Test
  void concurrentBatchesCheckingTheSameOwnersDoNotDeadlock() {
    NewJob.Admission limited = new NewJob.Admission(TIERS, UtcDay.today(clock), UtcDay.secondsToMidnight(clock));
    for (int round = 0; round < 15; round++) {
      List<Future<List<JobStore.Submitted>>> both = new ArrayList<>();
      for (List<String> owners : List.of(List.of("sam", "bob", "pat"), List.of("pat", "bob", "sam"))) {
        List<NewJob> batch = new ArrayList<>();
        for (String owner : owners) {
          batch.add(new NewJob(UUID.randomUUID().toString(), owner, JobStage.AUDIO_CONVERT, "default", 0, 3,
              new JsonObject(), null, limited));
        }
        both.add(store.insertAll(batch));
      }
      for (Future<List<JobStore.Submitted>> f : both) {
        assertEquals(3, await(f).size());
      }
    }
  }

  /** A batch's answers keep its order, and keys repeated within it or from before find their one job. */
  @Test
  void aBatchUnderTiersWithoutSubmitLimitsKeepsOrderAndKeys() {
    await(store.setTier("pat", "premium"));
    NewJob.Admission unlimited = new NewJob.Admission(unlimitedQueue(), UtcDay.today(clock), 1);
    Job earlier = await(store.insert(new NewJob(UUID.randomUUID().toString(), "sam", JobStage.AUDIO_CONVERT,
        "default", 0, 3, new JsonObject(), "old-key", unlimited))).job();
    List<NewJob> batch = new ArrayList<>();
    String[][] rows = {{"sam", "k"}, {"pat", "k"}, {"sam", "k"}, {"sam", "old-key"}, {"pat", null}};
    for (String[] row : rows) {
      batch.add(new NewJob(UUID.randomUUID().toString(), row[0], JobStage.AUDIO_CONVERT, "default", 2, 3,
          new JsonObject().put("n", batch.size()), row[1], unlimited));
    }
    List<JobStore.Submitted> out = await(store.insertAll(batch));
    assertEquals(List.of(true, true, false, false, true), out.stream().map(JobStore.Submitted::created).toList());
    assertEquals(out.get(0).job().id(), out.get(2).job().id(), "sam's key repeated within the batch");
    assertEquals(earlier.id(), out.get(3).job().id(), "sam's key from an earlier submission");
    assertEquals(2, out.get(0).job().priority());
    assertEquals(7, out.get(1).job().priority(), "pat's premium boost");
    assertEquals(4, out.get(4).job().payload().getInteger("n"));
    for (JobStore.Submitted s : out) {
      assertEquals(await(store.get(s.job().id())).orElseThrow(), s.job());
    }
  }

  @Test
  void dailyMinutesAreReservedSettledAndRefunded() {
    LocalDate today = UtcDay.today(clock);
    Job a = leaseOne("sam");
    assertEquals(Optional.empty(), await(store.reserve(a.lease(), 360, today, TIERS)), "6 of 10 minutes");
    Job b = leaseOneMore("bob");
    await(store.setTier("bob", "free"));
    Job c = leaseOneMore("sam");
    Optional<QuotaRefusal> refused = await(store.reserve(c.lease(), 300, today, TIERS));
    assertEquals(QuotaType.DAILY_MINUTES, refused.orElseThrow().type(), "6 + 5 > 10");
    assertTrue(refused.get().detail().contains("4.0 of the 10 daily minutes"), refused.get().detail());
    assertEquals(Optional.empty(), await(store.reserve(c.lease(), 240, today, TIERS)), "6 + 4 fits");
    assertUsage("sam", today, 0, 600);

    await(store.complete(a.lease(), a.payload(), null));
    assertEquals(1, await(store.settle(List.of(a.id()))));
    assertEquals(0, await(store.settle(List.of(a.id()))), "settling twice changes nothing");
    assertUsage("sam", today, 360, 240);

    await(store.fail(c.lease(), "broken"));
    assertEquals(1, await(store.settle(List.of(c.id()))));
    assertUsage("sam", today, 360, 0);
    assertUsage("bob", today, 0, 0);
    assertNotNull(b);

    JobStore.Submitted more = submit("sam", null, TIERS);
    assertNull(more.refusal(), "4 minutes are left");
    Job d = acquire(10, unlimitedQueue(), false).stream().filter(j -> j.id() == more.job().id()).findFirst()
        .orElseThrow();
    assertEquals(Optional.empty(), await(store.reserve(d.lease(), 240, today, TIERS)));
    await(store.complete(d.lease(), d.payload(), null));
    await(store.settle(null));
    assertUsage("sam", today, 600, 0);
    JobStore.Submitted none = submit("sam", null, TIERS);
    assertEquals(QuotaType.DAILY_MINUTES, none.refusal().type(), "all 10 minutes used");
    assertEquals(UtcDay.secondsToMidnight(clock), none.refusal().retryAfterSeconds());
    assertEquals(14 * 3600, none.refusal().retryAfterSeconds(), "10:00 UTC: 14 hours to midnight");
  }

  /** Leases one more job of {@code owner} (whose earlier jobs may be processing) with generous limits. */
  Job leaseOneMore(String owner) {
    Job job = submit(owner);
    Tiers roomy = new Tiers("free", Map.of("free", new Tier("free", 100, 1, null, null, null, 0, 1)));
    return acquire(10, roomy, false).stream().filter(j -> j.id() == job.id()).findFirst().orElseThrow();
  }

  @Test
  void aCancelledJobGivesItsMinutesBackAndAReRunReplacesItsReservation() {
    LocalDate today = UtcDay.today(clock);
    Job a = leaseOne("sam");
    await(store.reserve(a.lease(), 300, today, TIERS));
    await(store.reserve(a.lease(), 120, today, TIERS));
    assertUsage("sam", today, 0, 120);
    await(store.cancel(a.id()));
    assertEquals(1, await(store.settle(null)), "the sweep settles what a crash left behind");
    assertUsage("sam", today, 0, 0);
  }

  @Test
  void aRetryThatResumesAfterConvertReservesItsMinutesAgain() {
    LocalDate today = UtcDay.today(clock);
    Job a = leaseOne("sam");
    await(store.reserve(a.lease(), 300, today, TIERS));
    await(store.fail(a.lease(), "analysis provider down"));
    await(store.settle(List.of(a.id())));
    assertUsage("sam", today, 0, 0);

    assertEquals(Optional.empty(), await(store.reserveForRetry(a.id(), 300, today, TIERS, 99)));
    assertUsage("sam", today, 0, 300);
    Job b = leaseOneMore("sam");
    assertEquals(Optional.empty(), await(store.reserve(b.lease(), 300, today, TIERS)), "5 + 5 of 10 minutes");
    await(store.fail(b.lease(), "broken"));
    await(store.settle(List.of(b.id())));
    Job c = leaseOneMore("sam");
    assertEquals(Optional.empty(), await(store.reserve(c.lease(), 240, today, TIERS)), "5 + 4 of 10 minutes");
    Optional<QuotaRefusal> refused = await(store.reserveForRetry(b.id(), 300, today, TIERS, 99));
    assertEquals(QuotaType.DAILY_MINUTES, refused.orElseThrow().type(), "5 + 4 + 5 > 10");
    assertEquals(99L, refused.get().retryAfterSeconds());
    Job queued = submit("sam");
    assertEquals(Optional.empty(), await(store.reserveForRetry(queued.id(), 60, today, TIERS, 99)),
        "only a failed or cancelled job is reserved for a retry");
    assertUsage("sam", today, 0, 540);
  }

  @Test
  void minutesCountOnTheDayTheyWereReservedAcrossMidnight() {
    clock.set(Instant.parse("2026-11-23T23:59:00Z"));
    LocalDate monday = UtcDay.today(clock);
    assertEquals(60, UtcDay.secondsToMidnight(clock));
    Job a = leaseOne("sam");
    assertEquals(Optional.empty(), await(store.reserve(a.lease(), 600, monday, TIERS)), "all 10 minutes");
    assertEquals(QuotaType.DAILY_MINUTES, submit("sam", null, TIERS).refusal().type());

    clock.set(Instant.parse("2026-11-24T00:01:00Z"));
    LocalDate tuesday = UtcDay.today(clock);
    assertEquals(monday.plusDays(1), tuesday);
    JobStore.Submitted fresh = submit("sam", null, TIERS);
    assertNull(fresh.refusal(), "a new UTC day has its own minutes");
    await(store.complete(a.lease(), a.payload(), null));
    await(store.settle(List.of(a.id())));
    assertUsage("sam", monday, 600, 0);
    assertUsage("sam", tuesday, 0, 0);
  }

  @Test
  void audioLongerThanTheTierAllowsIsRefusedWithoutReserving() {
    Job a = leaseOne("sam");
    Optional<QuotaRefusal> refused = await(store.reserve(a.lease(), 31 * 60, UtcDay.today(clock), TIERS));
    assertEquals(QuotaType.MAX_FILE_MINUTES, refused.orElseThrow().type());
    assertTrue(refused.get().jobError().startsWith("quota_exceeded: max_file_minutes: "));
    assertUsage("sam", UtcDay.today(clock), 0, 0);
  }

  @Test
  void aReservationFromALostLeaseChangesNothing() {
    Job a = leaseOne("sam");
    clock.advance(LEASE.plusSeconds(1));
    await(store.rescueExpired());
    assertEquals(Optional.empty(), await(store.reserve(a.lease(), 60, UtcDay.today(clock), TIERS)));
    assertUsage("sam", UtcDay.today(clock), 0, 0);
  }

  @Test
  void countsByOwnerGroupsStatuses() {
    submit("a");
    submit("a");
    submit("b");
    acquire(1, unlimitedQueue(), false);
    Map<String, Map<String, Long>> counts = await(store.countsByOwner());
    assertEquals(2, counts.get("a").values().stream().mapToLong(Long::longValue).sum());
    assertEquals(Map.of("queued", 1L), counts.get("b"));
  }

  @Test
  void aLiveStreamsSecondsAreUsedAtOnceBesideAJobsReservation() {
    LocalDate today = UtcDay.today(clock);
    Job a = leaseOne("sam");
    assertEquals(Optional.empty(), await(store.reserve(a.lease(), 120, today, TIERS)));
    DailyUsage after = await(store.addStreamed("sam", 2.5, today));
    assertEquals(2.5, after.usedSeconds(), 0.001);
    assertEquals(120, after.reservedSeconds(), 0.001);
    await(store.addStreamed("sam", 2.5, today));
    assertUsage("sam", today, 5, 120);
    assertUsage("sam", today.minusDays(1), 0, 0);
  }

  void assertUsage(String owner, LocalDate day, double used, double reserved) {
    DailyUsage u = await(store.usage(owner, day));
    assertEquals(used, u.usedSeconds(), 0.001, "used seconds of " + owner + " on " + day);
    assertEquals(reserved, u.reservedSeconds(), 0.001, "reserved seconds of " + owner + " on " + day);
  }
}
