package earshot.quota;

import earshot.tiers.QuotaRefusal;
import earshot.tiers.QuotaType;
import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.bus.Addresses;
import earshot.bus.TierChange;
import earshot.metrics.MicrometerQuotaMetrics;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageRegistry;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a live stream gets when it opens: a place among its tier's concurrent streams, while minutes are left. */
class StreamAdmissionTest {
  @TempDir
  Path tempDir;

  final Vertx vertx = Vertx.vertx();
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  EarshotNode node;
  StreamAdmission streams;

  @BeforeEach
  void start() {
    node = new EarshotNode(vertx, TestConfigs.local(tempDir, new JsonObject()
        .put("quota", new JsonObject().put("tiers", new JsonObject()
            .put("standard", new JsonObject().put("concurrent_streams", 2))
            .put("spent", new JsonObject().put("concurrent_jobs", 1).put("concurrent_streams", 5)
                .put("daily_minutes", 0))))),
        NoopJobMetrics.INSTANCE, registry, StageRegistry.of(), Clock.systemUTC());
    await(node.start());
    streams = new StreamAdmission(vertx, new MicrometerQuotaMetrics(registry, true), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    await(node.stop());
    await(vertx.close());
  }

  @Test
  void streamsBeyondTheTiersConcurrentStreamsAreRefusedUntilOneCloses() {
    assertEquals(Optional.empty(), await(streams.open("alice", "s1")));
    assertEquals(Optional.empty(), await(streams.open("alice", "s2")));
    QuotaRefusal refused = await(streams.open("alice", "s3")).orElseThrow();
    assertEquals(QuotaType.CONCURRENT_STREAMS, refused.type());
    assertEquals("standard", refused.tier());
    assertEquals(2, refused.limit());
    assertEquals(Optional.empty(), await(streams.open("bob", "s4")), "bob has his own places");

    JsonObject usage = await(vertx.eventBus().<JsonObject>request(Addresses.QUOTA_USAGE,
        new JsonObject().put("owner_user_id", "alice"))).body();
    assertEquals(2, usage.getJsonObject("active").getInteger("streams"));

    await(streams.close("alice", "s1"));
    assertEquals(Optional.empty(), await(streams.open("alice", "s3")));
    String scrape = registry.scrape();
    assertTrue(scrape.contains("audio_quota_hits_total{type=\"concurrent_streams\"} 1.0"), scrape);
    assertTrue(scrape.contains("audio_active_streams{owner=\"alice\"} 2.0"), scrape);
  }

  @Test
  void noStreamOpensOnceTheDaysMinutesAreUsedUp() {
    await(vertx.eventBus().request(Addresses.QUOTA_TIER_SET, new TierChange("carol", "spent").toJson()));
    QuotaRefusal refused = await(streams.open("carol", "s1")).orElseThrow();
    assertEquals(QuotaType.DAILY_MINUTES, refused.type());
    assertTrue(refused.retryAfterSeconds() >= 1 && refused.retryAfterSeconds() <= 86_400);
  }
}
