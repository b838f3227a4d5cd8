package earshot.pipeline;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.DirArtifactStore;
import earshot.artifacts.Scratch;
import earshot.artifacts.UploadSigner;
import earshot.audio.AudioDecoder;
import earshot.audio.AudioTooLongException;
import earshot.audio.Cancellation;
import earshot.audio.DiskFullException;
import earshot.audio.DiskSpace;
import earshot.audio.LocalPaths;
import earshot.bus.Addresses;
import earshot.bus.OwnerQuery;
import earshot.bus.OwnerTier;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.JobFailure;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.QuotaRules;
import earshot.tiers.Tier;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * audio_convert: decodes the job's input (the downloaded file or an upload, fetched from the artifact store, or an
 * allowed server-local path) into 16 kHz mono s16le PCM in its node-local scratch ({@link Scratch}), puts the PCM
 * into the store as {@code jobs/<uuid>/audio.pcm} and adds {@code pcm_key} and {@code duration_seconds} to the
 * payload. The scratch (a fetched copy, a partial PCM) is deleted however the stage ends. An earlier version's
 * absolute paths ({@code source_file}, {@code upload_path}) are still read.
 *
 * <p>The owner's {@code max_file_minutes} is applied before and while decoding, not only after: the owner's tier is
 * asked of the scheduler ({@code earshot.quota.tier.get}), a file whose header declares more is refused without
 * being decoded, and a decode is stopped as soon as its PCM passes the limit (a header can hide or understate the
 * length). Either way the job fails with the same {@code quota_exceeded: max_file_minutes: ...} error the
 * scheduler's check after conversion gives. A disk without room for the PCM (checked first, or found full while
 * writing) is a retryable failure.
 *
 * <p>Threading: {@link #execute} runs on the runner's context and only composes futures; the probe, the ffmpeg
 * process and all file access run in {@link StageContext#blocking}. An abort of the job kills ffmpeg.
 */
public final class ConvertStage implements StageHandler {
  /** Disk space that must stay free beside a job's PCM, for the job store and other jobs' files: 64 MiB. */
  public static final long SPACE_RESERVE_BYTES = 64L << 20;
  /** The tier query's timeout unless the node's bus timeout is given (tests build the stage without a config). */
  private static final java.time.Duration DEFAULT_BUS_TIMEOUT = java.time.Duration.ofSeconds(10);

  private final EarshotConfig.Audio audio;
  private final Workspace workspace;
  private final ArtifactStore artifacts;
  private final AudioDecoder decoder;
  private final long spaceReserveBytes;
  private DeliveryOptions tierQuery = new DeliveryOptions().setSendTimeout(DEFAULT_BUS_TIMEOUT.toMillis());

  public ConvertStage(EarshotConfig.Audio audio, Workspace workspace, ArtifactStore artifacts) {
    this(audio, workspace, artifacts, new AudioDecoder(), SPACE_RESERVE_BYTES);
  }

  /** With a directory store over the workspace's data directory (the stage's own tests). */
  public ConvertStage(EarshotConfig.Audio audio, Workspace workspace) {
    this(audio, workspace, dirStore(workspace), new AudioDecoder(), SPACE_RESERVE_BYTES);
  }

  ConvertStage(EarshotConfig.Audio audio, Workspace workspace, AudioDecoder decoder, long spaceReserveBytes) {
    this(audio, workspace, dirStore(workspace), decoder, spaceReserveBytes);
  }

  ConvertStage(EarshotConfig.Audio audio, Workspace workspace, ArtifactStore artifacts, AudioDecoder decoder,
               long spaceReserveBytes) {
    this.audio = audio;
    this.workspace = workspace;
    this.artifacts = artifacts;
    this.decoder = decoder;
    this.spaceReserveBytes = spaceReserveBytes;
  }

  /** The stage asking the scheduler with the node's bus timeout ({@code cluster.bus_timeout_seconds}). */
  public ConvertStage withBusTimeout(java.time.Duration timeout) {
    this.tierQuery = new DeliveryOptions().setSendTimeout(timeout.toMillis());
    return this;
  }

  static ArtifactStore dirStore(Workspace workspace) {
    return new DirArtifactStore(workspace.dataDir(), new UploadSigner(null, Clock.systemUTC()), Clock.systemUTC());
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
    return tierOf(ctx)
        .compose(tier -> ctx.<Double>blocking(() -> convert(payload, uuid, tier, cancel)))
        .map(seconds -> {
          ctx.progress(100);
          payload.remove(PayloadKeys.PCM_FILE);
          payload.put(PayloadKeys.PCM_KEY, ArtifactKeys.pcm(uuid));
          payload.put(PayloadKeys.DURATION_SECONDS, seconds);
          return StageOutcome.completed(payload);
        });
  }

  /** The owner's tier, from the scheduler; a scheduler that does not answer is a transient fault. */
  private Future<Tier> tierOf(StageContext ctx) {
    return ctx.vertx().eventBus()
        .<JsonObject>request(Addresses.QUOTA_TIER_GET, new OwnerQuery(ctx.job().ownerUserId()).toJson(), tierQuery)
        .map(reply -> OwnerTier.fromJson(reply.body()).tier())
        .recover(err -> Future.failedFuture(new RetryableStageException(
            "could not read the tier of owner " + ctx.job().ownerUserId() + ": " + err.getMessage(), err)));
  }

  /**
   * Fetches the input into scratch, decodes it there and puts the PCM into the store; the duration in seconds.
   * The scratch goes however this ends. Blocking.
   */
  private double convert(JsonObject payload, String uuid, Tier tier, Cancellation cancel) {
    try (Scratch scratch = Scratch.open(workspace.dataDir(), uuid, "convert")) {
      try (ArtifactStore.Local input = input(payload, scratch)) {
        AudioDecoder.Decoded decoded = decode(input.path(), scratch.dir(), uuid, tier, cancel);
        artifacts.putMoving(ArtifactKeys.pcm(uuid), decoded.pcm());
        return decoded.durationSeconds();
      }
    } catch (IOException e) {
      throw DiskSpace.isFull(e) ? new DiskFullException("no room for the work directory of job " + uuid, e)
          : new RetryableStageException("could not prepare the work directory of job " + uuid + ": " + e, e);
    }
  }

  /** Probe, refuse what is too long or has no room, then decode held to the tier's longest file. Blocking. */
  private AudioDecoder.Decoded decode(Path input, Path dir, String uuid, Tier tier, Cancellation cancel) {
    AudioDecoder.Probe probe = decoder.probe(input);
    Optional<QuotaRefusal> declaredTooLong = QuotaRules.maxFile(tier, probe.declaredSeconds());
    if (declaredTooLong.isPresent()) {
      throw refused(declaredTooLong.get());
    }
    Path pcm;
    try {
      DiskSpace.requireRoomForPcm(dir, probe.declaredSeconds(), spaceReserveBytes);
      pcm = dir.resolve(ArtifactKeys.PCM);
    } catch (IOException e) {
      throw DiskSpace.isFull(e) ? new DiskFullException("no room for the work directory of job " + uuid, e)
          : new RetryableStageException("could not prepare the work directory of job " + uuid + ": " + e, e);
    }
    double maxSeconds = tier.maxFileSeconds() == null ? AudioDecoder.NO_LIMIT : tier.maxFileSeconds();
    try {
      return decoder.decode(input, probe, pcm, cancel, maxSeconds);
    } catch (AudioTooLongException e) {
      PermanentStageException refusal = refused(QuotaRules.maxFileWhileDecoding(tier));
      refusal.initCause(e); // how much PCM was written before the stop, for the tests that hold it to the limit
      throw refusal;
    }
  }

  /** The job fails with the refusal's error, which the APIs answer as they answer the scheduler's own refusal. */
  private static PermanentStageException refused(QuotaRefusal refusal) {
    return new PermanentStageException(refusal.jobError(), JobFailure.of(refusal));
  }

  /**
   * The file to decode: the download's result, else the upload (fetched from the store into {@code scratch}, or an
   * earlier version's path), else the allowed local path, read in place. Blocking.
   */
  private ArtifactStore.Local input(JsonObject payload, Scratch scratch) throws IOException {
    for (String key : new String[] {PayloadKeys.SOURCE_KEY, PayloadKeys.UPLOAD_KEY}) {
      String objectKey = payload.getString(key);
      if (objectKey != null) {
        try {
          return artifacts.fetch(objectKey, scratch.dir());
        } catch (NoSuchFileException e) {
          throw new PermanentStageException("audio_convert: the job's input " + objectKey + " is gone from the "
              + artifacts.kind() + " artifact store");
        } catch (IllegalArgumentException e) {
          throw new PermanentStageException("audio_convert: " + key + ": " + e.getMessage());
        }
      }
    }
    for (String legacy : new String[] {PayloadKeys.SOURCE_FILE, PayloadKeys.UPLOAD_PATH}) {
      String path = payload.getString(legacy);
      if (path != null) {
        return new ArtifactStore.Local(Path.of(path), false);
      }
    }
    String local = payload.getString(PayloadKeys.LOCAL_PATH);
    if (local != null) {
      return new ArtifactStore.Local(LocalPaths.resolve(local, audio.allowedRoots()), false);
    }
    throw new PermanentStageException("audio_convert needs one of " + PayloadKeys.SOURCE_KEY + ", "
        + PayloadKeys.UPLOAD_KEY + " or " + PayloadKeys.LOCAL_PATH + " in the payload");
  }
}
