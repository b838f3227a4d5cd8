package earshot.api;

import earshot.audio.AudioDecoder;
import earshot.bus.Addresses;
import earshot.bus.OwnerQuery;
import earshot.bus.OwnerTier;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.QuotaRules;
import earshot.tiers.Tier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An upload longer than its owner's {@code max_file_minutes} is refused before it becomes a job, when its header
 * says so: it is on this node's disk, and reading the header costs one ffmpeg probe, not a decode. The answer is the
 * same 429 {@code quota_exceeded} problem ({@code quota: max_file_minutes}, no {@code Retry-After}, since only a
 * change of tier helps) that the OpenAI endpoint gives for a job stopped on that limit later, so a client meets one
 * form of it whenever it is found. A header that does not tell the length, or cannot be read, is left to
 * audio_convert, which stops the decode at the limit.
 *
 * <p>Threading: {@link #tierOf} is one event-bus request from the event loop; {@link #refuseIfTooLong} is blocking
 * and runs in executeBlocking.
 */
final class UploadLength {

  private UploadLength() {}

  /** The owner's tier, from the scheduler; its failures map like every other bus failure (503 when unreachable). */
  static Future<Tier> tierOf(Vertx vertx, String owner, java.time.Duration timeout) {
    return vertx.eventBus()
        .<JsonObject>request(Addresses.QUOTA_TIER_GET, new OwnerQuery(owner).toJson(),
            new DeliveryOptions().setSendTimeout(timeout.toMillis()))
        .map(reply -> OwnerTier.fromJson(reply.body()).tier())
        .recover(err -> Future.failedFuture(SchedulerCalls.mapBusFailure(err)));
  }

  /** Probes {@code file} when the tier limits file length; throws the 429 when its declared length is over. */
  static void refuseIfTooLong(Path file, Tier tier) {
    if (tier.maxFileSeconds() == null) {
      return;
    }
    double declared;
    try {
      declared = Decoder.INSTANCE.probe(file).declaredSeconds();
    } catch (PermanentStageException | RetryableStageException e) {
      return; // audio_convert probes again and fails the job with the reason
    }
    Optional<QuotaRefusal> refusal = QuotaRules.maxFile(tier, declared);
    if (refusal.isPresent()) {
      throw ApiError.quotaExceeded(refusal.get());
    }
  }

  /** Created on first use: the decoder's ffmpeg is extracted then, not when an API node starts. */
  private static final class Decoder {
    static final AudioDecoder INSTANCE = new AudioDecoder();
  }
}
