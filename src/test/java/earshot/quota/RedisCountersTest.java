package earshot.quota;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.Deadlines;
import earshot.testsupport.EmbeddedRedis;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ActiveCountersContract} against a real redis-server, plus what only Redis has: its keys and script cache. */
class RedisCountersTest extends ActiveCountersContract {
  static EmbeddedRedis redis;
  /** For the raw commands of the Redis-only tests. */
  Redis client;

  @BeforeAll
  static void startRedis() {
    redis = EmbeddedRedis.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  /** Generous: these tests are about counting, and a loaded build machine can take a second to connect. */
  static final Duration COMMAND_TIMEOUT = Deadlines.loaded(Duration.ofSeconds(1));

  @BeforeEach
  void openClient(Vertx vertx) {
    client = Redis.createClient(vertx, redis.url());
  }

  @AfterEach
  void closeClient() {
    await(client.close());
  }

  @Override
  ActiveCounters create(Vertx vertx, Duration ttl) {
    return new RedisCounters(Redis.createClient(vertx, RedisCounters.options(redis.url(), COMMAND_TIMEOUT)), ttl,
        COMMAND_TIMEOUT);
  }

  /** Redis expires by its own clock: wait until the counter is empty, then the holder is gone. */
  @Override
  void passTtl(ActiveCounters expiring) {
    until("the holder to expire in Redis", Deadlines.WAIT,
        () -> await(expiring.count(CounterKind.JOBS, owner)) == 0);
  }

  @Test
  void holdersLiveInASortedSetThatExpiresWithItsLastHolder() {
    assertTrue(await(counters.tryHold(CounterKind.STREAMS, owner, "s1", 2)));
    String key = "audio:active_streams:" + owner;

    Response score = send(Request.cmd(Command.ZSCORE).arg(key).arg("s1"));
    long pttl = send(Request.cmd(Command.PTTL).arg(key)).toLong();

    long serverNowMs = serverTimeMs();
    long expiry = score.toLong();
    assertTrue(expiry > serverNowMs && expiry <= serverNowMs + TTL.toMillis(), "score is the expiry, in server time");
    assertTrue(pttl > 0 && pttl <= TTL.toMillis(), "the key itself expires: " + pttl);
  }

  @Test
  void scriptsAreLoadedAgainAfterTheScriptCacheIsFlushed() {
    assertTrue(await(counters.tryHold(CounterKind.JOBS, owner, "a", 2)));
    send(Request.cmd(Command.SCRIPT).arg("FLUSH"));

    assertTrue(await(counters.tryHold(CounterKind.JOBS, owner, "b", 2)));
    assertEquals(2, await(counters.count(CounterKind.JOBS, owner)));
  }

  private long serverTimeMs() {
    Response time = send(Request.cmd(Command.TIME));
    return time.get(0).toLong() * 1000 + time.get(1).toLong() / 1000;
  }

  private Response send(Request request) {
    return await(client.send(request));
  }
}
