package earshot.scheduler;

import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.jobs.ProgressSpan;
import earshot.jobs.StagePlan;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.bus.StageReport;
import earshot.bus.StageReportReply;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import earshot.runner.StageRunnerVerticle;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.MutableClock;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job engine end to end, through real nodes, the event bus and a real database; one subclass per store.
 * Stages are test stages: the engine is what is under test here.
 */
abstract class JobEngineContract {
  static final Duration WAIT = Deadlines.WAIT;

  @TempDir
  Path tempDir;

  private final List<EngineNode> nodes = new ArrayList<>();

  abstract Databases.Kind kind();

  EngineNode start(JsonObject config, TestStages stages, String name) {
    return start(config, stages, name, Clock.systemUTC());
  }

  EngineNode start(JsonObject config, TestStages stages, String name, Clock clock) {
    EngineNode node = new EngineNode(config, stages.registry(name), clock);
    nodes.add(node);
    return node;
  }

  @AfterEach
  void stopNodes() {
    nodes.reversed().forEach(EngineNode::stop);
  }

  Job awaitStatus(EngineNode node, long id, JobStatus status) {
    return until("job " + id + " to be " + status.wireName(), WAIT, () -> node.get(id), j -> j.status() == status);
  }

  @Test
  void everyStageRunsInOrderAndInapplicableStagesAreSkipped() {
    JsonObject config = EngineNode.config(kind().newUrl(tempDir));
    config.put("queues", new JsonObject().put("transcribe_by_model", new JsonObject().put("large-v3", "transcribe-large")));
    TestStages stages = new TestStages();
    EngineNode node = start(config, stages, "node");

    Job all = node.submit(new JsonObject().put("url", "https://example.org/a.mp3").put("perform_analysis", true));
    Job local = node.submit(new JsonObject().put("local_path", "/srv/a.wav").put("model", "large-v3"));
    Job bare = node.submit(new JsonObject().put("upload", "/data/u.wav").put("perform_chunking", false));

    assertEquals(JobStage.AUDIO_DOWNLOAD, all.jobType());
    assertEquals(JobStage.AUDIO_CONVERT, local.jobType());
    Job allDone = awaitStatus(node, all.id(), JobStatus.COMPLETED);
    Job localDone = awaitStatus(node, local.id(), JobStatus.COMPLETED);
    Job bareDone = awaitStatus(node, bare.id(), JobStatus.COMPLETED);

    assertEquals(List.of(JobStage.values()), stages.stagesOf(all.id()));
    assertEquals(List.of(JobStage.AUDIO_CONVERT, JobStage.AUDIO_TRANSCRIBE, JobStage.AUDIO_CHUNK, JobStage.AUDIO_STORE),
        stages.stagesOf(local.id()));
    assertEquals(List.of(JobStage.AUDIO_CONVERT, JobStage.AUDIO_TRANSCRIBE, JobStage.AUDIO_STORE),
        stages.stagesOf(bare.id()));
    assertEquals(List.of("audio_convert", "audio_transcribe", "audio_store"),
        bareDone.result().getJsonArray("stages").getList());
    assertEquals(100, allDone.progress());
    assertEquals(0, localDone.retryCount());

    // Transcription runs on the transcriber (GPU role), on the model's own queue; everything else on the CPU runner.
    List<TestStages.Visit> localVisits = stages.visits.stream().filter(v -> v.jobId() == local.id()).toList();
    for (TestStages.Visit v : localVisits) {
      assertEquals(v.stage() == JobStage.AUDIO_TRANSCRIBE ? "transcribe-large" : "default", v.queue(), v.stage().wireName());
    }
    stages.visits.stream().filter(v -> v.jobId() == all.id()).forEach(v ->
        assertEquals(v.stage() == JobStage.AUDIO_TRANSCRIBE ? "transcribe" : "default", v.queue(), v.stage().wireName()));
    until("completed event", WAIT, () -> node.eventsOf(all.id()).stream().anyMatch(e -> e.status().equals("completed")));
    List<String> stagesSeen = node.eventsOf(all.id()).stream().map(JobEvent::jobType).distinct().toList();
    assertEquals(List.of(JobStage.values()).stream().map(JobStage::wireName).toList(), stagesSeen);
  }

  @Test
  void aRunnerThatStopsHeartbeatingLosesTheJobToAnotherAndItCompletesOnce() {
    String url = kind().newUrl(tempDir);
    JsonObject config = EngineNode.config(url);
    config.getJsonObject("jobs").put("lease_seconds", 1); // a sweep every 250 ms
    // Leases expire only when the test moves this clock: the healthy runner never loses one by being slow.
    MutableClock clock = new MutableClock();
    // A node with the scheduler and a healthy CPU runner that does nothing at first...
    TestStages healthy = new TestStages();
    config.put("roles", List.of("scheduler", "gpu"));
    EngineNode node = start(config, healthy, "healthy", clock);

    // ...and a "zombie" runner on the same bus that takes the job and then never heartbeats.
    TestStages zombieStages = new TestStages();
    AtomicReference<Job> zombieJob = new AtomicReference<>();
    AtomicReference<String> zombieAbort = new AtomicReference<>();
    zombieStages.override(JobStage.AUDIO_CONVERT, ctx -> {
      zombieJob.set(ctx.job());
      ctx.aborted().onSuccess(zombieAbort::set);
      return Promise.<StageOutcome>promise().future(); // hung for good: its slot stays taken
    });
    StageRunnerVerticle zombie = new StageRunnerVerticle(
        new earshot.runner.RunnerSpec("zombie", List.of("default"), 1, Duration.ofHours(1), Duration.ZERO),
        zombieStages.registry("zombie"), NoopJobMetrics.INSTANCE);
    await(node.vertx.deployVerticle(zombie, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));

    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.wav"));
    until("the zombie to take the job", WAIT, () -> zombieJob.get() != null);

    // Now a healthy CPU runner joins; it gets the job once the zombie's lease expires.
    StageRunnerVerticle cpu = new StageRunnerVerticle(
        new earshot.runner.RunnerSpec("cpu", List.of("default"), 2, Duration.ofMillis(300), Duration.ZERO),
        healthy.registry("healthy"), NoopJobMetrics.INSTANCE);
    await(node.vertx.deployVerticle(cpu, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    clock.advance(Duration.ofSeconds(2));

    Job done = awaitStatus(node, job.id(), JobStatus.COMPLETED);
    assertEquals(1, done.retryCount(), "the expired lease counts as one retry");
    assertEquals(1, healthy.stagesOf(job.id()).stream().filter(s -> s == JobStage.AUDIO_STORE).count());
    until("the zombie's stage to be told", WAIT, () -> "lease_lost".equals(zombieAbort.get()));

    // A partitioned zombie that missed the abort and commits anyway is fenced off; the job is untouched.
    StageReport stale = new StageReport("zombie", zombieJob.get().lease(), JobStage.AUDIO_CONVERT, 0,
        StageReport.Outcome.COMPLETED, new JsonObject().put("zombie", true), null, null, null);
    StageReportReply reply = await(node.vertx.eventBus().<JsonObject>request(Addresses.JOBS_STAGE_REPORT, stale.toJson())
        .map(m -> StageReportReply.fromJson(m.body())));
    assertFalse(reply.accepted());
    assertEquals(1, node.metrics.leaseLost.get());
    Job after = node.get(job.id());
    assertEquals(JobStatus.COMPLETED, after.status());
    assertFalse(after.payload().containsKey("zombie"), "the zombie's commit must not land");
    assertEquals(1, zombieStages.visits.size());
  }

  @Test
  void aNodeStoppedMidJobHandsItOverToTheNextNodeOnTheSameDatabase() {
    String url = kind().newUrl(tempDir);
    TestStages first = new TestStages().override(JobStage.AUDIO_CONVERT, TestStages::untilAborted);
    EngineNode a = start(EngineNode.config(url), first, "a");
    Job job = a.submit(new JsonObject().put("local_path", "/srv/a.wav"));
    until("node a to run the job", WAIT, () -> a.get(job.id()).status() == JobStatus.PROCESSING);

    a.stop(); // SIGTERM path: grace 0, so the running stage is aborted and its lease given back

    TestStages second = new TestStages();
    EngineNode b = start(EngineNode.config(url), second, "b");
    Job done = awaitStatus(b, job.id(), JobStatus.COMPLETED);
    assertEquals(List.of(JobStage.AUDIO_CONVERT), first.stagesOf(job.id()));
    assertEquals(List.of(JobStage.AUDIO_CONVERT, JobStage.AUDIO_TRANSCRIBE, JobStage.AUDIO_CHUNK, JobStage.AUDIO_STORE),
        second.stagesOf(job.id()));
    assertEquals(0, done.retryCount(), "a lease given back on shutdown is not a failure");
  }

  @Test
  void retryableFailuresBackOffThenFail() {
    TestStages stages = new TestStages().override(JobStage.AUDIO_CONVERT, TestStages::alwaysRetry);
    EngineNode node = start(EngineNode.config(kind().newUrl(tempDir)), stages, "node");
    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.wav"), 0, 2);

    Job failed = awaitStatus(node, job.id(), JobStatus.FAILED);
    assertEquals(2, failed.retryCount());
    assertEquals("provider unavailable", failed.error());
    List<TestStages.Visit> attempts = stages.visits.stream().filter(v -> v.jobId() == job.id()).toList();
    assertEquals(3, attempts.size(), "one try and two retries");
    // Equal-jitter backoff with base 200 ms: at least 100 ms, then 200 ms between attempts.
    assertTrue(attempts.get(1).nanos() - attempts.get(0).nanos() >= Duration.ofMillis(100).toNanos());
    assertTrue(attempts.get(2).nanos() - attempts.get(1).nanos() >= Duration.ofMillis(200).toNanos());
  }

  @Test
  void aPermanentFailureFailsAtOnceWithoutRetries() {
    TestStages stages = new TestStages().override(JobStage.AUDIO_CONVERT, TestStages::permanent);
    EngineNode node = start(EngineNode.config(kind().newUrl(tempDir)), stages, "node");
    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.txt"));
    Job failed = awaitStatus(node, job.id(), JobStatus.FAILED);
    assertEquals(0, failed.retryCount());
    assertEquals("Failed to load audio: Invalid file format", failed.error());
    assertEquals(1, stages.stagesOf(job.id()).size());
  }

  @Test
  void aFailedJobRetriedResumesAtTheStageThatFailed() {
    java.util.concurrent.atomic.AtomicInteger chunkRuns = new java.util.concurrent.atomic.AtomicInteger();
    TestStages stages = new TestStages().override(JobStage.AUDIO_CHUNK, ctx -> chunkRuns.incrementAndGet() == 1
        ? TestStages.permanent(ctx) : TestStages.record(ctx, JobStage.AUDIO_CHUNK));
    EngineNode node = start(EngineNode.config(kind().newUrl(tempDir)), stages, "node");
    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.wav"));
    Job failed = awaitStatus(node, job.id(), JobStatus.FAILED);
    assertEquals(JobStage.AUDIO_CHUNK, failed.jobType());

    Job retried = await(node.vertx.eventBus().<JsonObject>request(Addresses.JOBS_RETRY,
        new earshot.bus.RetryJob(job.id()).toJson()).map(m -> Job.fromJson(m.body())));
    assertEquals(JobStatus.QUEUED, retried.status());
    assertEquals(JobStage.AUDIO_CHUNK, retried.jobType(), "transcript is in the payload: no need to start over");
    awaitStatus(node, job.id(), JobStatus.COMPLETED);
    assertEquals(List.of(JobStage.AUDIO_CONVERT, JobStage.AUDIO_TRANSCRIBE, JobStage.AUDIO_CHUNK, JobStage.AUDIO_CHUNK,
        JobStage.AUDIO_STORE), stages.stagesOf(job.id()));
  }

  @Test
  void cancellingAQueuedJobIsImmediateAndFinalJobsCannotBeCancelled() {
    JsonObject config = EngineNode.config(kind().newUrl(tempDir));
    config.getJsonObject("jobs").put("worker_enabled", false); // no runners: the job stays queued
    EngineNode node = start(config, new TestStages(), "node");
    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.wav"));
    assertEquals(JobStatus.CANCELLED, await(node.cancel(job.id())).status());
    assertEquals(JobStatus.CANCELLED, node.get(job.id()).status());

    ReplyException again = assertInstanceOf(ReplyException.class, awaitFailure(node.cancel(job.id())));
    assertEquals(409, again.failureCode());
    ReplyException missing = assertInstanceOf(ReplyException.class, awaitFailure(node.cancel(424242)));
    assertEquals(404, missing.failureCode());
  }

  @Test
  void cancellingAProcessingJobAbortsItsStage() {
    AtomicReference<String> abortReason = new AtomicReference<>();
    TestStages stages = new TestStages().override(JobStage.AUDIO_CONVERT, ctx -> ctx.aborted().map(reason -> {
      abortReason.set(reason);
      return (StageOutcome) new StageOutcome.Retry("aborted", null);
    }));
    EngineNode node = start(EngineNode.config(kind().newUrl(tempDir)), stages, "node");
    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.wav"));
    until("the job to be processing", WAIT, () -> node.get(job.id()).status() == JobStatus.PROCESSING);

    Job cancelled = await(node.cancel(job.id()));
    assertEquals(JobStatus.CANCELLED, cancelled.status());
    until("the stage to see the abort", WAIT, () -> "cancelled".equals(abortReason.get()));
    Job after = node.get(job.id());
    assertEquals(JobStatus.CANCELLED, after.status());
    assertEquals(List.of(JobStage.AUDIO_CONVERT), stages.stagesOf(job.id()));
  }

  /**
   * Reports each stage progress in turn and waits for its event before the next, so that every write is made in
   * order on either store.
   */
  static Future<Void> report(EngineNode node, StageContext ctx, int... stageProgress) {
    Future<Void> chain = Future.succeededFuture();
    for (int p : stageProgress) {
      chain = chain.compose(v -> {
        ctx.progress(p);
        Promise<Void> seen = Promise.promise();
        node.vertx.setPeriodic(5, timer -> {
          if (node.eventsOf(ctx.job().id()).stream().anyMatch(e -> e.stageProgress() == p)) {
            node.vertx.cancelTimer(timer);
            seen.tryComplete();
          }
        });
        return seen.future().timeout(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      });
    }
    return chain;
  }

  static int at(ProgressSpan span, int p) {
    return span.from() + (span.to() - span.from()) * p / 100;
  }

  @Test
  void jobProgressOnlyRisesWhileEachStageShowsItsOwn() {
    AtomicReference<EngineNode> on = new AtomicReference<>();
    AtomicInteger transcribeRuns = new AtomicInteger();
    Promise<Void> finishChunk = Promise.promise();
    TestStages stages = new TestStages()
        .override(JobStage.AUDIO_TRANSCRIBE, ctx -> transcribeRuns.incrementAndGet() == 1
            ? report(on.get(), ctx, 25, 50, 75, 99).map(v -> new StageOutcome.Retry("gpu busy", Duration.ofMillis(1)))
            : report(on.get(), ctx, 10).compose(v -> TestStages.record(ctx, JobStage.AUDIO_TRANSCRIBE)))
        .override(JobStage.AUDIO_CHUNK, ctx -> report(on.get(), ctx, 40)
            .compose(v -> finishChunk.future()).compose(v -> TestStages.record(ctx, JobStage.AUDIO_CHUNK)));
    EngineNode node = start(EngineNode.config(kind().newUrl(tempDir)), stages, "node");
    on.set(node);
    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.wav"));
    int transcribed = at(StagePlan.span(JobStage.AUDIO_TRANSCRIBE, job.payload()), 99);

    // The bug: the next stage started the job's progress again at 0.
    Job chunking = until("the chunk stage at 40", WAIT, () -> node.get(job.id()),
        j -> j.jobType() == JobStage.AUDIO_CHUNK && j.stageProgress() == 40);
    assertEquals(at(StagePlan.span(JobStage.AUDIO_CHUNK, job.payload()), 40), chunking.progress());
    assertTrue(chunking.progress() > transcribed, chunking.progress() + " after " + transcribed);
    finishChunk.complete();
    Job done = awaitStatus(node, job.id(), JobStatus.COMPLETED);
    assertEquals(100, done.progress());
    assertEquals(100, done.stageProgress());

    until("the completed event", WAIT, () -> node.eventsOf(job.id()).stream().anyMatch(e -> e.progress() == 100));
    List<JobEvent> events = node.eventsOf(job.id());
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i).progress() >= events.get(i - 1).progress(), "progress went down: " + events);
    }
    JobEvent retried = events.stream().filter(e -> e.status().equals("queued") && e.retryCount() == 1).findFirst()
        .orElseThrow();
    assertEquals(transcribed, retried.progress(), "the retry kept the job's progress");
    assertEquals(0, retried.stageProgress());
    JobEvent rerun = events.stream().filter(e -> e.stageProgress() == 10).findFirst().orElseThrow();
    assertEquals(transcribed, rerun.progress(), "the retried stage's 10% did not lower it");
    assertEquals("audio_transcribe", rerun.toJson().getString("stage"));
  }
}
