package earshot.pipeline;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.Scratch;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import earshot.transcribe.ResponseFormat;
import earshot.transcribe.ResultRenderer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * audio_store: builds the job's result (text, language, duration, segments, chunks, analysis, model, processing
 * time and realtime factor), puts it as objects {@code results/<uuid>/} (result.json, transcript.txt, .srt, .vtt)
 * into the artifact store, written first in this run's scratch, and deletes the job's files: its objects under
 * {@code jobs/<uuid>/} (upload, source, PCM) and its local work directory. File I/O runs on the stage pool via
 * {@link StageContext#blocking}.
 */
public final class StoreStage implements StageHandler {
  private final Workspace workspace;
  private final ArtifactStore artifacts;
  private final Clock clock;

  public StoreStage(Workspace workspace, ArtifactStore artifacts, Clock clock) {
    this.workspace = workspace;
    this.artifacts = artifacts;
    this.clock = clock;
  }

  /** With a directory store over the workspace's data directory (the stage's own tests). */
  public StoreStage(Workspace workspace, Clock clock) {
    this(workspace, ConvertStage.dirStore(workspace), clock);
  }

  @Override
  public JobStage stage() {
    return JobStage.AUDIO_STORE;
  }

  @Override
  public Future<StageOutcome> execute(StageContext ctx) {
    JsonObject payload = ctx.payload();
    JsonObject transcript = payload.getJsonObject(PayloadKeys.TRANSCRIPT);
    if (transcript == null) {
      return Future.failedFuture(new PermanentStageException("audio_store: the job has no transcript"));
    }
    JsonObject result = result(ctx.job(), payload, transcript);
    return ctx.blocking(() -> {
      String uuid = ctx.job().uuid();
      write(uuid, result);
      artifacts.deletePrefix(ArtifactKeys.jobPrefix(uuid));
      workspace.deleteWorkDir(uuid);
      return null;
    }).map(v -> {
      // The result holds the transcript now; keep the payload to the inputs so the row does not hold it twice.
      JsonObject slim = payload.copy();
      slim.remove(PayloadKeys.TRANSCRIPT);
      slim.remove(PayloadKeys.CHUNKS);
      slim.remove(PayloadKeys.ANALYSIS);
      slim.remove(PayloadKeys.PCM_FILE);
      slim.remove(PayloadKeys.SOURCE_FILE);
      slim.remove(PayloadKeys.PCM_KEY);
      slim.remove(PayloadKeys.SOURCE_KEY);
      return (StageOutcome) new StageOutcome.Completed(slim, result);
    });
  }

  private JsonObject result(Job job, JsonObject payload, JsonObject transcript) {
    double duration = payload.getDouble(PayloadKeys.DURATION_SECONDS, transcript.getDouble("duration", 0.0));
    Instant started = job.startedAt() != null ? job.startedAt() : job.createdAt();
    double processing = Math.max(0, Duration.between(started, clock.instant()).toMillis() / 1000.0);
    JsonObject result = new JsonObject()
        .put("task", Boolean.TRUE.equals(payload.getValue(PayloadKeys.TRANSLATE)) ? "translate" : "transcribe")
        .put("text", transcript.getString("text", "").strip())
        .put("language", transcript.getString("language"))
        .put("duration", duration)
        .put("segments", transcript.getJsonArray("segments", new JsonArray()))
        .put("chunks", payload.getJsonArray(PayloadKeys.CHUNKS, new JsonArray()))
        .put("analysis", payload.getString(PayloadKeys.ANALYSIS))
        .put("model", transcript.getString("model", payload.getString(PayloadKeys.MODEL)))
        .put("processing_time", processing)
        .put("realtime_factor", duration > 0 ? processing / duration : null);
    for (String extra : new String[] {"words", "language_probability"}) {
      if (transcript.containsKey(extra)) {
        result.put(extra, transcript.getValue(extra));
      }
    }
    return result;
  }

  /** Writes each file in scratch and puts it into the store, which never shows a reader half an object. */
  private void write(String uuid, JsonObject result) throws IOException {
    try (Scratch scratch = Scratch.open(workspace.dataDir(), uuid, "store")) {
      put(scratch, uuid, "result.json", result.encodePrettily());
      put(scratch, uuid, "transcript.txt", ResultRenderer.render(result, ResponseFormat.TEXT));
      put(scratch, uuid, "transcript.srt", ResultRenderer.render(result, ResponseFormat.SRT));
      put(scratch, uuid, "transcript.vtt", ResultRenderer.render(result, ResponseFormat.VTT));
    }
  }

  private void put(Scratch scratch, String uuid, String name, String content) throws IOException {
    Path file = scratch.dir().resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    artifacts.putMoving(ArtifactKeys.result(uuid, name), file);
  }
}
