package earshot.transcribe;

import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.Sampling;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The audio_transcribe stage: resolves the job's model, then transcribes the converted PCM (window by window when it
 * is very long) on the runner's stage pool, publishing whisper.cpp's progress as job progress and stopping a running
 * decode when the job is aborted.
 * Adds {@link PayloadKeys#TRANSCRIPT} to the payload.
 *
 * <p>Threading: {@link #execute} runs on the runner's context and only parses the payload; all file and native work
 * runs in {@link StageContext#blocking}.
 */
public final class TranscribeStage implements StageHandler {
  /** How long a job waits for one of the engine's decoder states before it is retried later. */
  static final Duration STATE_WAIT = Duration.ofMinutes(5);

  private final EarshotConfig.Audio audio;
  private final WhisperEngine engine;
  private final ModelRegistry models;

  public TranscribeStage(EarshotConfig.Audio audio, WhisperEngine engine) {
    this.audio = audio;
    this.engine = engine;
    this.models = new ModelRegistry(audio.modelsDir(), audio.defaultModel());
  }

  /** The engine this stage decodes with, which live streams on this node share ({@link LiveDecoder}). */
  public WhisperEngine engine() {
    return engine;
  }

  @Override
  public JobStage stage() {
    return JobStage.AUDIO_TRANSCRIBE;
  }

  /** What the job asked for, read from its payload. */
  record Request(String model, Path pcm, DecodeOptions options) {}

  @Override
  public Future<StageOutcome> execute(StageContext ctx) {
    JsonObject payload = ctx.payload();
    Request request;
    try {
      request = request(payload);
    } catch (ClassCastException e) {
      return Future.failedFuture(new PermanentStageException("invalid transcription parameters: " + e.getMessage()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return ctx.blocking(() -> transcribe(request, ctx)).map(transcript -> {
      payload.put(PayloadKeys.TRANSCRIPT, transcript.toJson());
      return StageOutcome.completed(payload);
    });
  }

  Request request(JsonObject payload) {
    String pcm = payload.getString(PayloadKeys.PCM_FILE);
    if (pcm == null || pcm.isBlank()) {
      throw new PermanentStageException("no converted audio in the payload (" + PayloadKeys.PCM_FILE + ")");
    }
    String model = models.canonical(payload.getString(PayloadKeys.MODEL));
    DecodeOptions options = new DecodeOptions(
        Languages.orAuto(payload.getString(PayloadKeys.LANGUAGE)),
        payload.getBoolean(PayloadKeys.TRANSLATE, false),
        payload.getString(PayloadKeys.PROMPT),
        sampling(payload).orElse(audio.whisper().sampling()), audio.whisper().threads(),
        payload.getBoolean(PayloadKeys.WORD_TIMESTAMPS, false));
    return new Request(model, Path.of(pcm), options);
  }

  /** The job's own sampling parameters, checked again here since a payload may predate the API's checks. */
  static Sampling sampling(JsonObject payload) {
    return new Sampling(
        integer(payload, PayloadKeys.BEAM_SIZE, 1, Sampling.MAX_DECODERS),
        integer(payload, PayloadKeys.BEST_OF, 1, Sampling.MAX_DECODERS),
        fraction(payload, PayloadKeys.TEMPERATURE),
        fraction(payload, PayloadKeys.TEMPERATURE_INC));
  }

  private static Integer integer(JsonObject payload, String key, int min, int max) {
    Number n = payload.getNumber(key);
    if (n == null) {
      return null;
    }
    if (n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max) {
      throw new PermanentStageException(key + " must be an integer from " + min + " to " + max + ", was " + n);
    }
    return n.intValue();
  }

  private static Float fraction(JsonObject payload, String key) {
    Number n = payload.getNumber(key);
    if (n == null) {
      return null;
    }
    if (!(n.doubleValue() >= 0 && n.doubleValue() <= 1)) {
      throw new PermanentStageException(key + " must be between 0 and 1, was " + n);
    }
    return n.floatValue();
  }

  private Transcript transcribe(Request request, StageContext ctx) throws InterruptedException {
    Path modelFile = models.resolve(request.model());
    WindowedTranscriber.Result result;
    try (PcmFile pcm = PcmFile.open(request.pcm());
         WhisperEngine.Session session = engine.open(modelFile, STATE_WAIT)) {
      int windowSamples = Math.toIntExact(audio.whisper().window().toSeconds() * PcmFile.SAMPLE_RATE);
      result = new WindowedTranscriber(new EnergyCutter(windowSamples))
          .run(session, pcm, request.options(), ctx::progress, ctx::isAborted);
    }
    if (result.aborted()) {
      // The runner ignores the outcome of an aborted stage; this only ends the future.
      throw new RetryableStageException("transcription stopped after " + result.windows() + " windows: aborted");
    }
    ctx.progress(100);
    return new Transcript(result.text(), result.language(), result.durationSeconds(), result.segments(),
        request.model(), result.languageProbability());
  }
}
