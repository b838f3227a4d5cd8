package earshot.quota;

import earshot.metrics.QuotaMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis counters that keep answering when Redis does not. Every call goes to {@link RedisCounters}; the first one
 * that fails switches this process to its {@link LocalCounters} (a warning, {@code audio_redis_fallback} = 1), and
 * the call, and every later one, is answered there. The local side is seeded with the {@link Holdings} this process
 * holds, so its counts start right. A reconnect loop pings Redis with backoff ({@code reconnectMin} doubling up to
 * {@code reconnectMax}); once Redis answers, the holders are written back to it (releases made meanwhile are replayed
 * first) and calls go to Redis again. While on the local side, a node counts only its own holders: the limit holds
 * per node, not across the cluster.
 *
 * <p>Threading: confined to the event loop of the verticle that creates it: its calls, the Redis client's callbacks
 * (which complete on the caller's context) and its reconnect timer all run there. {@link #fallbackActive()} may be
 * read from anywhere.
 */
public final class FailoverCounters implements ActiveCounters {
  private static final Logger LOG = LoggerFactory.getLogger(FailoverCounters.class);
  /** A re-seed that keeps seeing new holders gives up waiting for a quiet moment; the next refresh completes it. */
  private static final int MAX_RESEED_ROUNDS = 5;

  private final Vertx vertx;
  private final RedisCounters redis;
  private final LocalCounters local;
  private final Holdings holdings;
  private final QuotaMetrics metrics;
  private final Duration reconnectMin;
  private final Duration reconnectMax;

  /** Releases answered locally, to replay on Redis when it is back (the holder may be in Redis still). */
  private final Set<Released> releasedMeanwhile = new HashSet<>();
  private volatile boolean fallback;
  private boolean closed;
  private long reconnectTimer = -1;
  private Duration reconnectDelay;

  private record Released(CounterKey key, String holder) {}

  public FailoverCounters(Vertx vertx, RedisCounters redis, LocalCounters local, Holdings holdings,
      QuotaMetrics metrics, Duration reconnectMin, Duration reconnectMax) {
    this.vertx = vertx;
    this.redis = redis;
    this.local = local;
    this.holdings = holdings;
    this.metrics = metrics;
    this.reconnectMin = reconnectMin;
    this.reconnectMax = reconnectMax;
    this.reconnectDelay = reconnectMin;
  }

  /** Pings Redis once, and starts on the local side when it does not answer. Never fails. */
  public Future<Void> start() {
    metrics.redisFallback(false);
    return redis.ping().recover(err -> {
      fallBack(err);
      return Future.succeededFuture();
    });
  }

  /** Whether calls are answered by the local side now. */
  public boolean fallbackActive() {
    return fallback;
  }

  @Override
  public Future<Boolean> tryHold(CounterKind kind, String owner, String holder, int limit) {
    if (fallback) {
      return local.tryHold(kind, owner, holder, limit);
    }
    // A grant Redis made after another call switched sides must be known to the local side too.
    return redis.tryHold(kind, owner, holder, limit).compose(
        granted -> granted && fallback
            ? local.refresh(kind, owner, List.of(holder)).map(granted)
            : Future.succeededFuture(granted),
        err -> {
          fallBack(err);
          return local.tryHold(kind, owner, holder, limit);
        });
  }

  @Override
  public Future<Void> release(CounterKind kind, String owner, String holder) {
    if (fallback) {
      return releaseLocally(kind, owner, holder);
    }
    return redis.release(kind, owner, holder).compose(
        v -> fallback ? local.release(kind, owner, holder) : Future.succeededFuture(),
        err -> {
          fallBack(err);
          return releaseLocally(kind, owner, holder);
        });
  }

  @Override
  public Future<Void> refresh(CounterKind kind, String owner, Collection<String> holders) {
    if (fallback) {
      return local.refresh(kind, owner, holders);
    }
    return redis.refresh(kind, owner, holders).compose(
        v -> fallback ? local.refresh(kind, owner, holders) : Future.succeededFuture(),
        err -> {
          fallBack(err);
          return local.refresh(kind, owner, holders);
        });
  }

  @Override
  public Future<Integer> count(CounterKind kind, String owner) {
    if (fallback) {
      return local.count(kind, owner);
    }
    return redis.count(kind, owner).recover(err -> {
      fallBack(err);
      return local.count(kind, owner);
    });
  }

  @Override
  public String backend() {
    return fallback ? LocalCounters.BACKEND : RedisCounters.BACKEND;
  }

  @Override
  public Future<Void> close() {
    closed = true;
    if (reconnectTimer >= 0) {
      vertx.cancelTimer(reconnectTimer);
    }
    return redis.close().eventually(local::close);
  }

  private Future<Void> releaseLocally(CounterKind kind, String owner, String holder) {
    releasedMeanwhile.add(new Released(new CounterKey(kind, owner), holder));
    return local.release(kind, owner, holder);
  }

  /** Switches to the local side, seeded with this process's holders, and starts reconnecting. */
  private void fallBack(Throwable cause) {
    if (fallback || closed) {
      return;
    }
    metrics.redisError();
    LOG.warn("Redis is unreachable ({}); counting active jobs and streams in this process until it is back",
        cause.toString());
    local.reset(holdings.snapshot());
    releasedMeanwhile.clear();
    fallback = true;
    metrics.redisFallback(true);
    reconnectDelay = reconnectMin;
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    reconnectTimer = vertx.setTimer(reconnectDelay.toMillis(), id -> {
      reconnectTimer = -1;
      redis.ping()
          .compose(v -> reseedRedis(1))
          .onSuccess(v -> backToRedis())
          .onFailure(err -> {
            if (closed) {
              return;
            }
            metrics.redisError();
            reconnectDelay = reconnectDelay.multipliedBy(2).compareTo(reconnectMax) > 0
                ? reconnectMax : reconnectDelay.multipliedBy(2);
            LOG.debug("Redis still unreachable ({}); next try in {}", err.toString(), reconnectDelay);
            scheduleReconnect();
          });
    });
  }

  /**
   * Writes what this process holds back to Redis: releases made meanwhile first, then every held holder. Repeats when
   * holders changed while it ran, so the switch happens on a view that is current.
   */
  private Future<Void> reseedRedis(int round) {
    long version = holdings.version();
    List<Released> releases = new ArrayList<>(releasedMeanwhile);
    Map<CounterKey, List<String>> held = holdings.snapshot();
    return Future.all(releases.stream()
            .map(r -> redis.release(r.key().kind(), r.key().owner(), r.holder()))
            .toList())
        .compose(v -> Future.all(held.entrySet().stream()
            .map(e -> redis.refresh(e.getKey().kind(), e.getKey().owner(), e.getValue()))
            .toList()))
        .compose(v -> {
          releases.forEach(releasedMeanwhile::remove);
          boolean changed = holdings.version() != version || !releasedMeanwhile.isEmpty();
          return changed && round < MAX_RESEED_ROUNDS ? reseedRedis(round + 1) : Future.succeededFuture();
        });
  }

  private void backToRedis() {
    if (closed) {
      return;
    }
    fallback = false;
    reconnectDelay = reconnectMin;
    metrics.redisFallback(false);
    LOG.info("Redis is reachable again; active jobs and streams are counted in Redis");
    // Left over only when the re-seed gave up waiting for a quiet moment; held holders are re-added by the next
    // refresh, releases are replayed here.
    List<Released> leftover = List.copyOf(releasedMeanwhile);
    releasedMeanwhile.clear();
    leftover.forEach(r -> redis.release(r.key().kind(), r.key().owner(), r.holder())
        .onFailure(err -> LOG.warn("could not replay the release of {} on Redis: {}", r, err.toString())));
  }
}
