package earshot.pipeline;

import earshot.audio.AudioDecoder;
import earshot.audio.Cancellation;
import earshot.audio.LocalPaths;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * audio_convert: decodes the job's input (the downloaded file, an upload, or an allowed server-local path) into
 * 16 kHz mono s16le PCM in the job's work directory, and adds {@code pcm_file} and {@code duration_seconds} to the
 * payload.
 *
 * <p>Threading: {@link #execute} runs on the runner's context and only composes futures; the probe, the ffmpeg
 * process and all file access run in {@link StageContext#blocking}. An abort of the job kills ffmpeg.
 */
public final class ConvertStage implements StageHandler {
  private final EarshotConfig.Audio audio;
  private final Workspace workspace;
  private final AudioDecoder decoder;

  public ConvertStage(EarshotConfig.Audio audio, Workspace workspace) {
    this(audio, workspace, new AudioDecoder());
  }

  ConvertStage(EarshotConfig.Audio audio, Workspace workspace, AudioDecoder decoder) {
    this.audio = audio;
    this.workspace = workspace;
    this.decoder = decoder;
  }

  @Override
  public JobStage stage() {
    return JobStage.AUDIO_CONVERT;
  }

  @Override
  public Future<StageOutcome> execute(StageContext ctx) {
    JsonObject payload = ctx.payload();
    String uuid = ctx.job().uuid();
    Cancellation cancel = new Cancellation();
    ctx.aborted().onSuccess(reason -> cancel.cancel());
    ctx.progress(10);
    return ctx.<AudioDecoder.Decoded>blocking(() -> {
          Path input = input(payload);
          Path pcm = workspace.createWorkDir(uuid).resolve("audio.pcm");
          return decoder.decode(input, pcm, cancel);
        })
        .map(decoded -> {
          ctx.progress(100);
          payload.put(PayloadKeys.PCM_FILE, decoded.pcm().toAbsolutePath().toString());
          payload.put(PayloadKeys.DURATION_SECONDS, decoded.durationSeconds());
          return StageOutcome.completed(payload);
        });
  }

  /** The file to decode: the download's result, else the upload, else the allowed local path. Blocking. */
  private Path input(JsonObject payload) {
    String source = payload.getString(PayloadKeys.SOURCE_FILE);
    if (source != null) {
      return Path.of(source);
    }
    String upload = payload.getString(PayloadKeys.UPLOAD_PATH);
    if (upload != null) {
      return Path.of(upload);
    }
    String local = payload.getString(PayloadKeys.LOCAL_PATH);
    if (local != null) {
      return LocalPaths.resolve(local, audio.allowedRoots());
    }
    throw new PermanentStageException("audio_convert needs one of " + PayloadKeys.SOURCE_FILE + ", "
        + PayloadKeys.UPLOAD_PATH + " or " + PayloadKeys.LOCAL_PATH + " in the payload");
  }
}
