package earshot.quota;

import earshot.bus.ActiveCounts;
import earshot.bus.ActiveCountsReply;
import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.OwnerQuery;
import earshot.bus.OwnerTier;
import earshot.bus.StreamUsage;
import earshot.bus.TierChange;
import earshot.store.JobStore;
import earshot.tiers.DailyUsage;
import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import earshot.tiers.UtcDay;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the tier and usage questions of the admin and usage endpoints from the job store: an owner's tier (and
 * changing it), their processing count against their limit, job counts by owner, and today's minutes. Registered by
 * the scheduler on its event loop; it shares the scheduler's store and nothing else.
 */
public final class QuotaQueries {
  private static final Logger LOG = LoggerFactory.getLogger(QuotaQueries.class);
  private static final String[] STATUSES = {"queued", "processing", "completed", "failed", "cancelled"};

  private final Vertx vertx;
  private final JobStore store;
  private final Tiers tiers;
  private final Clock clock;

  public QuotaQueries(Vertx vertx, JobStore store, Tiers tiers, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.tiers = tiers;
    this.clock = clock;
  }

  public Future<Void> register() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>consumer(Addresses.QUOTA_TIER_GET, m -> answer(m, tierOf(owner(m)))).completion(),
        bus.<JsonObject>consumer(Addresses.QUOTA_TIER_SET, this::onSetTier).completion(),
        bus.<JsonObject>consumer(Addresses.QUOTA_OWNER_PROCESSING, m -> answer(m, processing(owner(m)))).completion(),
        bus.<JsonObject>consumer(Addresses.QUOTA_SUMMARY_BY_OWNER, m -> answer(m, summaryByOwner())).completion(),
        bus.<JsonObject>consumer(Addresses.QUOTA_USAGE, m -> answer(m, usage(owner(m)))).completion(),
        bus.<JsonObject>consumer(Addresses.QUOTA_STREAM_USAGE, m -> answer(m, streamed(m.body()))).completion()))
        .mapEmpty();
  }

  private static String owner(Message<JsonObject> m) {
    return OwnerQuery.fromJson(m.body()).ownerUserId();
  }

  private Future<JsonObject> tierOf(String owner) {
    return store.tierOf(owner).map(stored -> new OwnerTier(owner, tiers.resolve(stored.orElse(null)),
        stored.isPresent() && tiers.named(stored.get()).isPresent()).toJson());
  }

  private void onSetTier(Message<JsonObject> m) {
    TierChange change = TierChange.fromJson(m.body());
    if (tiers.named(change.tier()).isEmpty()) {
      // The API puts this in a problem's detail: it names the configured tiers, not the client's input.
      m.fail(Failures.UNPROCESSABLE, "is not a configured tier; configured tiers: "
          + String.join(", ", new java.util.TreeSet<>(tiers.byName().keySet())));
      return;
    }
    answer(m, store.setTier(change.userId(), change.tier()).compose(v -> {
      LOG.info("user {} is now on tier {}", change.userId(), change.tier());
      return tierOf(change.userId());
    }));
  }

  private Future<JsonObject> processing(String owner) {
    return Future.all(store.countsByStatus(owner), store.tierOf(owner)).map(all -> {
      Map<String, Long> counts = all.resultAt(0);
      java.util.Optional<String> stored = all.resultAt(1);
      return new JsonObject().put("owner_user_id", owner).put("processing", counts.getOrDefault("processing", 0L))
          .put("limit", tiers.resolve(stored.orElse(null)).concurrentJobs());
    });
  }

  private Future<JsonObject> summaryByOwner() {
    return store.countsByOwner().map(byOwner -> {
      JsonArray owners = new JsonArray();
      byOwner.forEach((owner, counts) -> owners.add(new JsonObject().put("owner_user_id", owner)
          .put("counts_by_status", byStatus(counts)).put("total", total(counts))));
      return new JsonObject().put("owners", owners);
    });
  }

  /** Adds a live stream's new seconds to today's used minutes and says how many seconds are left. */
  private Future<JsonObject> streamed(JsonObject body) {
    StreamUsage u = StreamUsage.fromJson(body);
    LocalDate day = UtcDay.today(clock);
    Future<DailyUsage> used = u.seconds() > 0 ? store.addStreamed(u.ownerUserId(), u.seconds(), day)
        : store.usage(u.ownerUserId(), day);
    return Future.all(store.tierOf(u.ownerUserId()), used).map(all -> {
      java.util.Optional<String> stored = all.resultAt(0);
      DailyUsage today = all.resultAt(1);
      Tier tier = tiers.resolve(stored.orElse(null));
      Double left = tier.dailySeconds() == null ? null : tier.dailySeconds() - today.totalSeconds();
      return new StreamUsage.Left(left).toJson();
    });
  }

  private Future<JsonObject> usage(String owner) {
    LocalDate day = UtcDay.today(clock);
    Future<Integer> streams = vertx.eventBus()
        .<JsonObject>request(Addresses.QUOTA_ACTIVE, new ActiveCounts(owner).toJson(),
            new DeliveryOptions().setSendTimeout(5_000))
        .map(reply -> ActiveCountsReply.fromJson(reply.body()).streams())
        .otherwise(0);
    return Future.all(store.tierOf(owner), store.usage(owner, day), store.countsByStatus(owner), streams)
        .map(all -> {
          java.util.Optional<String> stored = all.resultAt(0);
          DailyUsage used = all.resultAt(1);
          Map<String, Long> counts = all.resultAt(2);
          Tier tier = tiers.resolve(stored.orElse(null));
          Double left = tier.dailySeconds() == null ? null
              : round(Math.max(0, tier.dailySeconds() - used.totalSeconds()) / 60.0);
          return new JsonObject()
              .put("owner_user_id", owner)
              .put("tier", tier.name())
              .put("day", day.toString())
              .put("minutes_used", round(used.usedSeconds() / 60.0))
              .put("minutes_reserved", round(used.reservedSeconds() / 60.0))
              .put("minutes_left", left)
              .put("resets_at", day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString())
              .put("limits", limits(tier))
              .put("active", new JsonObject()
                  .put("jobs", counts.getOrDefault("processing", 0L))
                  .put("streams", all.<Integer>resultAt(3))
                  .put("queued", counts.getOrDefault("queued", 0L)));
        });
  }

  private static JsonObject limits(Tier tier) {
    JsonObject j = tier.toJson();
    j.remove("name");
    return j;
  }

  private static JsonObject byStatus(Map<String, Long> counts) {
    JsonObject j = new JsonObject();
    for (String s : STATUSES) {
      j.put(s, counts.getOrDefault(s, 0L));
    }
    return j;
  }

  private static long total(Map<String, Long> counts) {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  private static double round(double minutes) {
    return Math.round(minutes * 100) / 100.0;
  }

  private static void answer(Message<JsonObject> m, Future<JsonObject> result) {
    result.onSuccess(m::reply)
        .onFailure(err -> m.fail(Failures.UNAVAILABLE, "quota query failed: " + err.getMessage()));
  }
}
