package earshot.transcribe;

import earshot.artifacts.ArtifactStore;
import earshot.artifacts.Scratch;
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
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The audio_transcribe stage: resolves the job's model, then transcribes the converted PCM (window by window when it
 * is very long) on the runner's stage pool, publishing whisper.cpp's progress as job progress and stopping a running
 * decode when the job is aborted.
 * Adds {@link PayloadKeys#TRANSCRIPT} to the payload. The PCM ({@code pcm_key}) is fetched from the artifact store into
 * this node's scratch ({@link Scratch}, deleted however the stage ends; the directory store hands its file in place);
 * an earlier version's {@code pcm_file} path is read as it is.
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
  private final Path dataDir;
  private final ArtifactStore artifacts;

  public TranscribeStage(EarshotConfig.Audio audio, WhisperEngine engine, Path dataDir, ArtifactStore artifacts) {
    this.audio = audio;
    this.engine = engine;
    this.models = new ModelRegistry(audio.modelsDir(), audio.defaultModel());
    this.dataDir = dataDir;
    this.artifacts = artifacts;
  }

  /** Without an artifact store: reads only {@code pcm_file} paths (the stage's own tests). */
  public TranscribeStage(EarshotConfig.Audio audio, WhisperEngine engine) {
    this(audio, engine, null, null);
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
  /** What the job asked for, read from its payload: the PCM is a store key, or else an earlier version's path. */
  record Request(String model, String pcmKey, Path pcm, DecodeOptions options) {}

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
    String pcmKey = payload.getString(PayloadKeys.PCM_KEY);
    String pcm = payload.getString(PayloadKeys.PCM_FILE);
    if ((pcmKey == null || artifacts == null) && (pcm == null || pcm.isBlank())) {
      throw new PermanentStageException("no converted audio in the payload (" + PayloadKeys.PCM_KEY + ")");
    }
    String model = models.canonical(payload.getString(PayloadKeys.MODEL));
    DecodeOptions options = new DecodeOptions(
        Languages.orAuto(payload.getString(PayloadKeys.LANGUAGE)),
        payload.getBoolean(PayloadKeys.TRANSLATE, false),
        payload.getString(PayloadKeys.PROMPT),
        sampling(payload).orElse(audio.whisper().sampling()), audio.whisper().threads(),
        payload.getBoolean(PayloadKeys.WORD_TIMESTAMPS, false));
    return new Request(model, artifacts == null ? null : pcmKey, pcm == null ? null : Path.of(pcm), options);
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

  /** Fetches the PCM into scratch when it is a store key, and transcribes it; the scratch goes however this ends. */
  private Transcript transcribe(Request request, StageContext ctx) throws InterruptedException, IOException {
    if (request.pcmKey() == null) {
      return transcribe(request, request.pcm(), ctx);
    }
    Path modelFile = models.resolve(request.model()); // an unknown model fails before anything is fetched
    try (Scratch scratch = Scratch.open(dataDir, ctx.job().uuid(), "transcribe");
         ArtifactStore.Local pcm = fetch(request.pcmKey(), scratch)) {
      return transcribe(request, pcm.path(), ctx);
    }
  }

  private ArtifactStore.Local fetch(String key, Scratch scratch) throws IOException {
    try {
      return artifacts.fetch(key, scratch.dir());
    } catch (NoSuchFileException e) {
      throw new PermanentStageException("the job's converted audio " + key + " is gone from the " + artifacts.kind()
          + " artifact store");
    }
  }

  private Transcript transcribe(Request request, Path pcmFile, StageContext ctx) throws InterruptedException {
    Path modelFile = models.resolve(request.model());
    WindowedTranscriber.Result result;
    try (PcmFile pcm = PcmFile.open(pcmFile);
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
