package earshot.pipeline;

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
import java.nio.file.Path;
import java.util.Optional;

/**
 * audio_convert: decodes the job's input (the downloaded file, an upload, or an allowed server-local path) into
 * 16 kHz mono s16le PCM in the job's work directory, and adds {@code pcm_file} and {@code duration_seconds} to the
 * payload.
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
  private static final DeliveryOptions TIER_QUERY = new DeliveryOptions().setSendTimeout(15_000);

  private final EarshotConfig.Audio audio;
  private final Workspace workspace;
  private final AudioDecoder decoder;
  private final long spaceReserveBytes;

  public ConvertStage(EarshotConfig.Audio audio, Workspace workspace) {
    this(audio, workspace, new AudioDecoder(), SPACE_RESERVE_BYTES);
  }

  ConvertStage(EarshotConfig.Audio audio, Workspace workspace, AudioDecoder decoder, long spaceReserveBytes) {
    this.audio = audio;
    this.workspace = workspace;
    this.decoder = decoder;
    this.spaceReserveBytes = spaceReserveBytes;
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
        .compose(tier -> ctx.<AudioDecoder.Decoded>blocking(() -> convert(payload, uuid, tier, cancel)))
        .map(decoded -> {
          ctx.progress(100);
          payload.put(PayloadKeys.PCM_FILE, decoded.pcm().toAbsolutePath().toString());
          payload.put(PayloadKeys.DURATION_SECONDS, decoded.durationSeconds());
          return StageOutcome.completed(payload);
        });
  }

  /** The owner's tier, from the scheduler; a scheduler that does not answer is a transient fault. */
  private static Future<Tier> tierOf(StageContext ctx) {
    return ctx.vertx().eventBus()
        .<JsonObject>request(Addresses.QUOTA_TIER_GET, new OwnerQuery(ctx.job().ownerUserId()).toJson(), TIER_QUERY)
        .map(reply -> OwnerTier.fromJson(reply.body()).tier())
        .recover(err -> Future.failedFuture(new RetryableStageException(
            "could not read the tier of owner " + ctx.job().ownerUserId() + ": " + err.getMessage(), err)));
  }

  /** Probe, refuse what is too long or has no room, then decode held to the tier's longest file. Blocking. */
  private AudioDecoder.Decoded convert(JsonObject payload, String uuid, Tier tier, Cancellation cancel) {
    Path input = input(payload);
    AudioDecoder.Probe probe = decoder.probe(input);
    Optional<QuotaRefusal> declaredTooLong = QuotaRules.maxFile(tier, probe.declaredSeconds());
    if (declaredTooLong.isPresent()) {
      throw refused(declaredTooLong.get());
    }
    Path pcm;
    try {
      Path dir = workspace.createWorkDir(uuid);
      DiskSpace.requireRoomForPcm(dir, probe.declaredSeconds(), spaceReserveBytes);
      pcm = dir.resolve("audio.pcm");
    } catch (IOException e) {
      throw DiskSpace.isFull(e) ? new DiskFullException("no room for the work directory of job " + uuid, e)
          : new RetryableStageException("could not prepare the work directory of job " + uuid + ": " + e, e);
    }
    double maxSeconds = tier.maxFileSeconds() == null ? AudioDecoder.NO_LIMIT : tier.maxFileSeconds();
    try {
      return decoder.decode(input, probe, pcm, cancel, maxSeconds);
    } catch (AudioTooLongException e) {
      throw refused(QuotaRules.maxFileWhileDecoding(tier));
    }
  }

  /** The job fails with the refusal's error, which the APIs answer as they answer the scheduler's own refusal. */
  private static PermanentStageException refused(QuotaRefusal refusal) {
    return new PermanentStageException(refusal.jobError(), JobFailure.of(refusal));
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
