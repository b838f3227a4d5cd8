package earshot.pipeline;

import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import earshot.transcribe.Transcript;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** audio_chunk: groups the transcript's segments into chunks (see {@link Chunker}). Cheap and pure: runs inline. */
public final class ChunkStage implements StageHandler {
  private final EarshotConfig.Chunking defaults;

  public ChunkStage(EarshotConfig.Chunking defaults) {
    this.defaults = defaults;
  }

  @Override
  public JobStage stage() {
    return JobStage.AUDIO_CHUNK;
  }

  @Override
  public Future<StageOutcome> execute(StageContext ctx) {
    JsonObject payload = ctx.payload();
    JsonObject transcript = payload.getJsonObject(PayloadKeys.TRANSCRIPT);
    if (transcript == null) {
      return Future.failedFuture(new PermanentStageException("audio_chunk: the job has no transcript"));
    }
    JsonArray chunks = new JsonArray();
    Chunker.chunk(Transcript.fromJson(transcript).segments(), Chunker.settings(defaults, payload))
        .forEach(c -> chunks.add(c.toJson()));
    return Future.succeededFuture(StageOutcome.completed(payload.put(PayloadKeys.CHUNKS, chunks)));
  }
}
