package earshot.quota;

import earshot.bus.Addresses;
import earshot.bus.HoldReply;
import earshot.bus.HoldRequest;
import earshot.bus.OwnerQuery;
import earshot.bus.ReleaseHold;
import earshot.metrics.QuotaMetrics;
import earshot.tiers.DailyUsage;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.QuotaRules;
import earshot.tiers.Tier;
import earshot.tiers.UtcDay;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.LocalDate;
import java.util.Optional;

/**
 * The quota checks a live stream makes when it opens and closes: the owner must have daily minutes left and a free
 * place among their tier's {@code concurrent_streams}. The place is taken in this node's active-streams counter
 * (in-process, or Redis shared by every node), so it lives, and is refreshed, where the stream's socket is; a node
 * that dies takes its streams' places with it once their TTL passes.
 *
 * <p>Threading: call it from the event loop of the verticle that owns the stream; it keeps no state.
 */
public final class StreamAdmission {
  private static final DeliveryOptions REQUEST = new DeliveryOptions().setSendTimeout(5_000);

  private final Vertx vertx;
  private final QuotaMetrics metrics;
  private final Clock clock;

  public StreamAdmission(Vertx vertx, QuotaMetrics metrics, Clock clock) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Takes a place for {@code streamId}; yields the refusal when the owner may not open another stream now. */
  public Future<Optional<QuotaRefusal>> open(String owner, String streamId) {
    return vertx.eventBus().<JsonObject>request(Addresses.QUOTA_USAGE, new OwnerQuery(owner).toJson(), REQUEST)
        .map(reply -> reply.body())
        .compose(usage -> {
          Tier tier = Tier.fromJson(usage.getJsonObject("limits").copy().put("name", usage.getString("tier")));
          DailyUsage today = new DailyUsage(owner, LocalDate.parse(usage.getString("day")),
              usage.getDouble("minutes_used") * 60, usage.getDouble("minutes_reserved") * 60);
          Optional<QuotaRefusal> noMinutes = QuotaRules.dailyAtSubmit(tier, today, UtcDay.secondsToMidnight(clock));
          if (noMinutes.isPresent()) {
            return refused(noMinutes.get());
          }
          HoldRequest hold = new HoldRequest(CounterKind.STREAMS.wireName(), owner, streamId,
              tier.concurrentStreams());
          return vertx.eventBus().<JsonObject>request(Addresses.QUOTA_HOLD, hold.toJson(), REQUEST)
              .map(m -> HoldReply.fromJson(m.body()))
              .compose(reply -> reply.granted() ? Future.succeededFuture(Optional.<QuotaRefusal>empty())
                  : refused(QuotaRules.concurrentStreams(tier, reply.active())));
        });
  }

  /** Frees the stream's place; closing a stream that holds none is fine. */
  public Future<Void> close(String owner, String streamId) {
    return vertx.eventBus().request(Addresses.QUOTA_RELEASE,
        new ReleaseHold(CounterKind.STREAMS.wireName(), owner, streamId).toJson(), REQUEST).mapEmpty();
  }

  private Future<Optional<QuotaRefusal>> refused(QuotaRefusal refusal) {
    metrics.quotaHit(refusal.type().wireName());
    return Future.succeededFuture(Optional.of(refusal));
  }
}
