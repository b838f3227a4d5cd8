package earshot.pipeline;

import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.transcribe.Transcript;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreStageTest {
  @TempDir
  Path dataDir;

  final Vertx vertx = Vertx.vertx();
  final WorkerExecutor pool = vertx.createSharedWorkerExecutor("store-test", 1);

  @AfterEach
  void close() {
    await(pool.close());
    await(vertx.close());
  }

  static Job job(String uuid, JsonObject payload, Instant started) {
    return new Job(1, uuid, "alice", "audio", JobStage.AUDIO_STORE, "default", JobStatus.PROCESSING, 0, 0, 3,
        payload, null, null, 0, 0, "w", null, 1, started, null, started, started, null, started);
  }

  @Test
  void writesTheResultAndItsRenderingsAndRemovesTemporaryFiles() throws Exception {
    Workspace workspace = new Workspace(dataDir);
    String uuid = UUID.randomUUID().toString();
    Path work = workspace.createWorkDir(uuid);
    Files.writeString(work.resolve("audio.pcm"), "pcm");
    Path stored = Files.createDirectories(dataDir.resolve("jobs").resolve(uuid));
    Files.writeString(stored.resolve("audio.pcm"), "pcm");
    Files.writeString(stored.resolve("upload.wav"), "wav");
    Transcript transcript = new Transcript(" Hi there", "en", 20.0,
        List.of(new Transcript.Segment(0, 0.0, 1.5, " Hi"), new Transcript.Segment(1, 1.5, 3.0, " there")), "base");
    JsonObject payload = new JsonObject()
        .put(PayloadKeys.LOCAL_PATH, "/srv/a.wav")
        .put(PayloadKeys.DURATION_SECONDS, 20.0)
        .put(PayloadKeys.PCM_KEY, "jobs/" + uuid + "/audio.pcm")
        .put(PayloadKeys.TRANSCRIPT, transcript.toJson())
        .put(PayloadKeys.CHUNKS, new JsonArray().add(new JsonObject().put("id", 0).put("text", "Hi there")))
        .put(PayloadKeys.ANALYSIS, "A greeting.");
    Instant started = Instant.parse("2026-11-23T10:00:00Z");
    Clock tenSecondsLater = Clock.fixed(started.plusSeconds(10), ZoneOffset.UTC);
    StageContext ctx = new StageContext(job(uuid, payload, started), vertx, pool);

    StageOutcome.Completed done = (StageOutcome.Completed) await(new StoreStage(workspace, tenSecondsLater).execute(ctx));

    JsonObject result = done.result();
    assertEquals("Hi there", result.getString("text"));
    assertEquals("en", result.getString("language"));
    assertEquals(20.0, result.getDouble("duration"));
    assertEquals(2, result.getJsonArray("segments").size());
    assertEquals(1, result.getJsonArray("chunks").size());
    assertEquals("A greeting.", result.getString("analysis"));
    assertEquals("base", result.getString("model"));
    assertEquals(10.0, result.getDouble("processing_time"));
    assertEquals(0.5, result.getDouble("realtime_factor"));
    assertEquals("transcribe", result.getString("task"));

    Path results = workspace.resultsDir(uuid);
    assertEquals(result, new JsonObject(Files.readString(results.resolve("result.json"))));
    assertEquals("Hi there\n", Files.readString(results.resolve("transcript.txt")));
    assertTrue(Files.readString(results.resolve("transcript.srt")).startsWith("1\n00:00:00,000 --> 00:00:01,500\nHi\n"));
    assertTrue(Files.readString(results.resolve("transcript.vtt")).startsWith("WEBVTT\n\n"));
    assertFalse(Files.exists(work), "temporary files are gone");
    assertFalse(Files.exists(stored), "the job's stored objects are gone, the upload too");
    assertFalse(done.payload().containsKey(PayloadKeys.PCM_KEY));
    assertFalse(done.payload().containsKey(PayloadKeys.TRANSCRIPT), "the transcript is kept once, in the result");
    assertEquals("/srv/a.wav", done.payload().getString(PayloadKeys.LOCAL_PATH));
  }

  @Test
  void aJobWithoutTranscriptFailsPermanently() {
    StageContext ctx = new StageContext(job(UUID.randomUUID().toString(), new JsonObject(), Instant.now()), vertx, pool);
    Throwable err = earshot.testsupport.Await.awaitFailure(new StoreStage(new Workspace(dataDir), Clock.systemUTC()).execute(ctx));
    assertTrue(err instanceof PermanentStageException, err.toString());
  }
}
