package earshot.quota;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Counters shared by every node that uses one Redis. Each counter is a sorted set at {@link CounterKey#redisKey()}:
 * member = holder, score = the holder's expiry in ms of Redis server time, so node clocks do not matter. The
 * check-and-increment is one Lua script, so two nodes can never both take the last place; every script drops the
 * expired members first and sets the key's PEXPIRE to its latest member, so idle keys vanish on their own.
 *
 * <p>Scripts run with EVALSHA, and with EVAL when Redis answers NOSCRIPT (its script cache is empty after a restart).
 * Every command fails after {@code commandTimeout}, so an unreachable Redis is noticed quickly.
 *
 * <p>Threading: non-blocking; the Vert.x Redis client completes each future on the caller's context.
 */
public final class RedisCounters implements ActiveCounters {
  public static final String BACKEND = "redis";

  /**
   * Shared start of every script: {@code now} in ms of Redis server time, expired holders dropped, and helpers to
   * stamp a holder and to expire the key with its latest holder. TIME before writes needs effects replication, the
   * default since Redis 5; replicate_commands asks for it on older servers and is a no-op (or gone) on newer
   * ones.
   */
  private static final String PRELUDE = """
      if redis.replicate_commands then redis.replicate_commands() end
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
      local function stamp(holder, ttl)
        redis.call('ZADD', KEYS[1], string.format('%.0f', now + ttl), holder)
      end
      local function expire()
        local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
        if #last == 2 then
          redis.call('PEXPIRE', KEYS[1], string.format('%.0f', tonumber(last[2]) - now))
        end
      end
      """;

  /** KEYS[1] counter; ARGV holder, limit, ttl ms → 1 granted, 0 refused. */
  private static final Script HOLD = new Script(PRELUDE + """
      local ttl = tonumber(ARGV[3])
      if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
        stamp(ARGV[1], ttl)
        expire()
        return 1
      end
      return 0
      """);

  /** KEYS[1] counter; ARGV ttl ms, holders... → number of live holders. */
  private static final Script REFRESH = new Script(PRELUDE + """
      local ttl = tonumber(ARGV[1])
      for i = 2, #ARGV do
        stamp(ARGV[i], ttl)
      end
      expire()
      return redis.call('ZCARD', KEYS[1])
      """);

  /** KEYS[1] counter → number of live holders. */
  private static final Script COUNT = new Script(PRELUDE + """
      return redis.call('ZCARD', KEYS[1])
      """);

  private final Redis client;
  private final long ttlMs;
  private final long timeoutMs;

  public RedisCounters(Redis client, Duration ttl, Duration commandTimeout) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    this.client = client;
    this.ttlMs = ttl.toMillis();
    this.timeoutMs = commandTimeout.toMillis();
  }

  /**
   * Client options for {@code url} ({@code redis://[:password@]host:port[/db]}): a connect timeout as short as the
   * command timeout, and a wait queue deep enough for a burst of holds.
   */
  public static RedisOptions options(String url, Duration commandTimeout) {
    RedisOptions options = new RedisOptions()
        .setConnectionString(url)
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(1024);
    options.getNetClientOptions().setConnectTimeout((int) commandTimeout.toMillis());
    return options;
  }

  @Override
  public Future<Boolean> tryHold(CounterKind kind, String owner, String holder, int limit) {
    return eval(HOLD, kind.redisKey(owner), List.of(holder, Integer.toString(limit), Long.toString(ttlMs)))
        .map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Void> release(CounterKind kind, String owner, String holder) {
    return send(Request.cmd(Command.ZREM).arg(kind.redisKey(owner)).arg(holder)).mapEmpty();
  }

  @Override
  public Future<Void> refresh(CounterKind kind, String owner, Collection<String> holders) {
    if (holders.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> args = new ArrayList<>(holders.size() + 1);
    args.add(Long.toString(ttlMs));
    args.addAll(holders);
    return eval(REFRESH, kind.redisKey(owner), args).mapEmpty();
  }

  @Override
  public Future<Integer> count(CounterKind kind, String owner) {
    return eval(COUNT, kind.redisKey(owner), List.of()).map(Response::toInteger);
  }

  /** Succeeds when Redis answers at all. */
  public Future<Void> ping() {
    return send(Request.cmd(Command.PING)).mapEmpty();
  }

  @Override
  public String backend() {
    return BACKEND;
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  private Future<Response> eval(Script script, String key, List<String> args) {
    return send(script.request(Command.EVALSHA, script.sha(), key, args))
        .recover(err -> noScript(err)
            ? send(script.request(Command.EVAL, script.source(), key, args))
            : Future.failedFuture(err));
  }

  private Future<Response> send(Request request) {
    return client.send(request).timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Redis error replies start with their error code; NOSCRIPT means the script cache does not hold the SHA. */
  private static boolean noScript(Throwable err) {
    return err.getMessage() != null && err.getMessage().startsWith("NOSCRIPT");
  }

  /** A Lua script and its SHA-1, which EVALSHA names it by. */
  private record Script(String source, String sha) {
    Script(String source) {
      this(source, sha1(source));
    }

    Request request(Command command, String scriptOrSha, String key, List<String> args) {
      Request request = Request.cmd(command).arg(scriptOrSha).arg(1).arg(key);
      args.forEach(request::arg);
      return request;
    }

    private static String sha1(String source) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
            .digest(source.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JVM has SHA-1", e);
      }
    }
  }
}
