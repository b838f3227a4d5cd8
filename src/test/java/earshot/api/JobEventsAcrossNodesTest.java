package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import earshot.EarshotNode;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageOutcome;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.StandInStages;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SSE client that reconnects to another API node misses nothing: two nodes share one Postgres database (each with
 * its own Vert.x, so nothing passes between them but the store), the job runs on the first, the client follows it
 * there, drops, and resumes with Last-Event-ID on the second, which replays the rest from the event log.
 */
class JobEventsAcrossNodesTest {
  static final String KEY = "test-key-0123456789abcdef";

  @TempDir
  Path tempDir;

  final List<Vertx> vertxes = new ArrayList<>();
  final List<EarshotNode> nodes = new ArrayList<>();
  final Promise<Void> gate = Promise.promise();

  @AfterEach
  void stop() {
    gate.tryComplete();
    nodes.reversed().forEach(n -> await(n.stop()));
    vertxes.forEach(v -> await(v.close()));
  }

  EarshotNode start(String url, int i, List<String> roles) {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    EarshotNode node = new EarshotNode(vertx, TestConfigs.local(tempDir.resolve("node" + i), new JsonObject()
        .put("roles", roles)
        .put("store", new JsonObject().put("url", url))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100).put("shutdown_grace_seconds", 1))
        .put("quota", TestConfigs.unlimitedQuota(4))
        .put("api", new JsonObject().put("key", KEY))),
        NoopJobMetrics.INSTANCE, null, StandInStages.everyStage((stage, ctx) -> {
          ctx.progress(50);
          return gate.future().map(v -> new StageOutcome.Completed(ctx.payload(), null));
        }), Clock.systemUTC());
    await(node.start());
    nodes.add(node);
    return node;
  }

  @Test
  void aClientThatResumesOnAnotherApiNodeIsReplayedWhatItMissed() {
    String url = Databases.postgresUrl();
    EarshotNode a = start(url, 0, List.of("api", "scheduler", "cpu", "gpu"));
    EarshotNode b = start(url, 1, List.of("api", "scheduler"));
    Vertx vertx = vertxes.getFirst();
    WebClient client = WebClient.create(vertx);
    NetClient net = vertx.createNetClient();
    Map<String, String> key = Map.of("X-API-KEY", KEY);

    long id = await(client.post(a.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit").putHeader("X-API-KEY", KEY)
        .sendJsonObject(new JsonObject().put("url", "https://example.org/a.mp3"))).bodyAsJsonObject().getLong("id");
    String path = "/api/v1/audio/jobs/" + id + "/events";
    SseReader first = await(SseReader.open(net, a.httpPort(), path, key));
    until("a first event", Deadlines.WAIT, () -> !first.events.isEmpty());
    String lastSeen = first.events.getLast().id();
    first.drop();
    gate.complete();
    until("the job to complete", Deadlines.WAIT, () -> "completed".equals(await(client
        .get(b.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id).putHeader("X-API-KEY", KEY).send())
        .bodyAsJsonObject().getString("status")));

    SseReader resumed = await(SseReader.open(net, b.httpPort(), path, Map.of("X-API-KEY", KEY,
        "Last-Event-ID", lastSeen)));
    await(resumed.ended());
    SseReader everything = await(SseReader.open(net, a.httpPort(), path, Map.of("X-API-KEY", KEY,
        "Last-Event-ID", "0")));
    await(everything.ended());
    List<JsonObject> missed = everything.data().stream()
        .filter(e -> e.getLong("seq") > Long.parseLong(lastSeen)).toList();
    assertFalse(missed.isEmpty());
    assertEquals(missed, resumed.data());
    assertEquals("completed", resumed.data().getLast().getString("status"));
    assertEquals("end", resumed.data().getLast().getString("event"));
  }
}
