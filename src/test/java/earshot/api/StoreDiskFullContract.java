package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.metrics.NoopJobMetrics;
import earshot.testsupport.SmallDisk;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose job store's disk fills up and is then freed, over real HTTP: while the disk is full, submissions are
 * refused with 507 promptly and {@code /ready} turns 503 within 10 s; once the space is back, the same node (no
 * restart) accepts submissions, is ready again, and the jobs submitted before are intact. One subclass per store, each
 * with the store's files on a small tmpfs ({@link SmallDisk}: needs root, as the test machines and CI have, and is
 * skipped elsewhere).
 */
abstract class StoreDiskFullContract {
  /** Room on top of the bounds the issue names, for a loaded machine; a hang (the defect) outlasts it by far. */
  static final Duration MARGIN = Duration.ofSeconds(15);
  /** A refused submission is answered within 5 s. */
  static final Duration PROMPT = Duration.ofSeconds(5).plus(MARGIN);
  /** Readiness follows the store's disk within 10 s. */
  static final Duration READY = Duration.ofSeconds(10).plus(MARGIN);
  /** A job of about 4 KB, so that a few fill a database page and the next one needs new room. */
  static final String PROMPT_TEXT = "a long prompt ".repeat(300);

  @TempDir
  Path tempDir;

  Vertx vertx;
  WebClient client;
  EarshotNode node;
  SmallDisk disk;

  /** Mounts the small disk for the store and returns the config that puts the store on it. */
  abstract JsonObject storeOn(Path mountPoint) throws Exception;

  /** Stops what {@link #storeOn} started, after the node has stopped. */
  void stopStore() throws Exception {}

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    JsonObject store = storeOn(tempDir.resolve("disk"));
    node = new EarshotNode(vertx, TestConfigs.local(tempDir, store.copy()
        .put("api", new JsonObject().put("key", JobsApiTest.KEY))), NoopJobMetrics.INSTANCE, null,
        JobsApiTest.stages(), Clock.systemUTC());
    await(node.start());
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (node != null) {
        await(node.stop());
      }
      if (vertx != null) {
        await(vertx.close());
      }
      stopStore();
    } finally {
      if (disk != null) {
        disk.close();
      }
    }
  }

  @Test
  void aFullDiskRefusesSubmissionsPromptlyAndTheNodeGoesOnOnceItIsFreed() throws Exception {
    until("the node is ready", READY, () -> ready().statusCode() == 200);
    List<JsonObject> before = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> r = submit();
      assertEquals(202, r.statusCode(), r.bodyAsString());
      before.add(r.bodyAsJsonObject());
    }

    disk.fill();
    // The store may still place a row or two in room it holds already; the first one that needs new room is refused.
    HttpResponse<Buffer> refused = null;
    for (int i = 0; i < 100 && refused == null; i++) {
      HttpResponse<Buffer> r = promptly("submission " + i + " on a full disk", this::submit);
      if (r.statusCode() != 202) {
        refused = r;
      }
    }
    assertNotNull(refused, "no submission was refused on a full disk");
    JobsApiTest.assertProblem(refused, 507, null);
    assertEquals(ProblemTypes.INSUFFICIENT_STORAGE, refused.bodyAsJsonObject().getString("type"));
    for (int i = 0; i < 3; i++) {
      JobsApiTest.assertProblem(promptly("a further submission on a full disk", this::submit), 507, null);
    }
    HttpResponse<Buffer> notReady = until("/ready answers 503 while the store cannot write", READY, this::ready,
        r -> r.statusCode() == 503);
    assertEquals("DOWN", notReady.bodyAsJsonObject().getJsonObject("store").getString("status"),
        notReady.bodyAsString());

    disk.free();
    until("/ready answers 200 once the disk has room", READY, () -> ready().statusCode() == 200);
    HttpResponse<Buffer> after = submit();
    assertEquals(202, after.statusCode(), "a submission after the disk was freed, no restart: " + after.bodyAsString());
    for (JsonObject job : before) {
      HttpResponse<Buffer> r = get("/jobs/" + job.getLong("id"));
      assertEquals(200, r.statusCode(), r.bodyAsString());
      assertEquals(job.getString("uuid"), r.bodyAsJsonObject().getString("uuid"));
      assertEquals("queued", r.bodyAsJsonObject().getString("status"));
    }
    assertEquals(200, get("/jobs/" + after.bodyAsJsonObject().getLong("id")).statusCode());
  }

  HttpResponse<Buffer> submit() {
    return await(req(HttpMethod.POST, "/jobs/submit").sendJsonObject(new JsonObject()
        .put("url", "https://example.org/talk.mp3").put("prompt", PROMPT_TEXT)), PROMPT);
  }

  HttpResponse<Buffer> get(String path) {
    return await(req(HttpMethod.GET, path).send());
  }

  HttpResponse<Buffer> ready() {
    return await(client.get(node.httpPort(), "127.0.0.1", "/ready").send(), READY);
  }

  private HttpRequest<Buffer> req(HttpMethod method, String path) {
    return client.request(method, node.httpPort(), "127.0.0.1", "/api/v1/audio" + path)
        .putHeader("X-API-KEY", JobsApiTest.KEY);
  }

  /** {@code call}'s answer, which must come within {@link #PROMPT}. */
  static <T> T promptly(String what, java.util.function.Supplier<T> call) {
    long start = System.nanoTime();
    T answer = call.get();
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(PROMPT) <= 0, what + " took " + took);
    return answer;
  }
}
