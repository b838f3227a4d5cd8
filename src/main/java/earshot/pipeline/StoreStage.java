package earshot.pipeline;

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
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * audio_store: builds the job's result (text, language, duration, segments, chunks, analysis, model, processing
 * time and realtime factor), writes it as files under {@code results/<uuid>/} (result.json, transcript.txt, .srt,
 * .vtt) and deletes the job's temporary files. File I/O runs on the stage pool via {@link StageContext#blocking}.
 */
public final class StoreStage implements StageHandler {
  private final Workspace workspace;
  private final Clock clock;

  public StoreStage(Workspace workspace, Clock clock) {
    this.workspace = workspace;
    this.clock = clock;
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
      write(ctx.job().uuid(), result);
      workspace.deleteWorkDir(ctx.job().uuid());
      return null;
    }).map(v -> {
      // The result holds the transcript now; keep the payload to the inputs so the row does not hold it twice.
      JsonObject slim = payload.copy();
      slim.remove(PayloadKeys.TRANSCRIPT);
      slim.remove(PayloadKeys.CHUNKS);
      slim.remove(PayloadKeys.ANALYSIS);
      slim.remove(PayloadKeys.PCM_FILE);
      slim.remove(PayloadKeys.SOURCE_FILE);
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

  /** Writes each file to a temporary name first and moves it into place, so readers never see half a file. */
  private void write(String uuid, JsonObject result) throws IOException {
    Path dir = Files.createDirectories(workspace.resultsDir(uuid));
    put(dir.resolve("result.json"), result.encodePrettily());
    put(dir.resolve("transcript.txt"), ResultRenderer.render(result, ResponseFormat.TEXT));
    put(dir.resolve("transcript.srt"), ResultRenderer.render(result, ResponseFormat.SRT));
    put(dir.resolve("transcript.vtt"), ResultRenderer.render(result, ResponseFormat.VTT));
  }

  private static void put(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
