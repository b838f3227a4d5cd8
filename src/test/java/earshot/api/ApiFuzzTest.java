package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import earshot.EarshotNode;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** 500 malformed or random requests across the routes: none may get a 5xx answer. Seeded, so failures replay. */
class ApiFuzzTest {
  static final long SEED = 20261123L;
  static final List<String> PATHS = List.of(
      "/api/v1/audio/jobs/submit", "/api/v1/audio/jobs/upload", "/api/v1/audio/jobs/1", "/api/v1/audio/jobs/1/result",
      "/api/v1/audio/jobs/1/cancel", "/api/v1/audio/jobs/1/retry", "/api/v1/audio/jobs", "/api/v1/audio/queue/stats",
      "/api/v1/audio/jobs/admin/list", "/api/v1/audio/jobs/admin/summary", "/health", "/ready",
      "/api/v1/audio/jobs/%s", "/api/v1/audio/jobs/%s/result", "/api/v1/audio/%s", "/%s");
  static final List<HttpMethod> METHODS = List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE,
      HttpMethod.PATCH, HttpMethod.HEAD, HttpMethod.OPTIONS);

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  EarshotNode node;

  @Test
  void randomRequestsNeverGetA5xx() {
    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("api", new JsonObject().put("key", JobsApiTest.KEY).put("max_upload_bytes", 4096))), JobsApiTest.stages());
    WebClient client = WebClient.create(vertx);
    Random random = new Random(SEED);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      HttpMethod method = METHODS.get(random.nextInt(METHODS.size()));
      String path = PATHS.get(random.nextInt(PATHS.size())).replace("%s", garbageSegment(random));
      if (random.nextInt(4) == 0) {
        path += "?" + garbageSegment(random) + "=" + garbageSegment(random) + "&limit=" + (random.nextInt(400) - 100)
            + "&format=" + garbageSegment(random) + "&cursor=" + garbageSegment(random);
      }
      HttpRequest<Buffer> req = client.request(method, node.httpPort(), "127.0.0.1", path);
      if (random.nextInt(5) != 0) {
        req.putHeader("X-API-KEY", JobsApiTest.KEY);
      }
      String contentType = List.of("application/json", "multipart/form-data; boundary=xyz", "text/plain",
          "application/x-www-form-urlencoded", "application/octet-stream").get(random.nextInt(5));
      req.putHeader("Content-Type", contentType);
      if (random.nextBoolean()) {
        req.putHeader("Idempotency-Key", garbageSegment(random));
      }
      Buffer body = body(random);
      HttpResponse<Buffer> response;
      try {
        response = await(req.sendBuffer(body));
      } catch (RuntimeException e) {
        failures.add(i + " " + method + " " + path + ": " + e);
        continue;
      }
      if (response.statusCode() >= 500) {
        failures.add(i + " " + method + " " + path + " [" + contentType + "] -> " + response.statusCode() + " "
            + response.bodyAsString());
      }
    }
    assertEquals(List.of(), failures);
  }

  private static String garbageSegment(Random r) {
    String[] pool = {"0", "-1", "99999999999999999999", "abc", "%00", "..", "%2e%2e", "1e9", " ", "%ff", "null",
        "admin", "😀", "1;DROP TABLE jobs", "9223372036854775807", "", "1.5"};
    return java.net.URLEncoder.encode(pool[r.nextInt(pool.length)], java.nio.charset.StandardCharsets.UTF_8);
  }

  private static Buffer body(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> Buffer.buffer();
      case 1 -> {
        byte[] b = new byte[r.nextInt(6000)];
        r.nextBytes(b);
        yield Buffer.buffer(b);
      }
      case 2 -> Buffer.buffer(String.valueOf(randomJson(r, 3)));
      case 3 -> Buffer.buffer("{\"url\": " + randomValue(r, 1) + ", \"priority\": " + randomValue(r, 1)
          + ", \"local_path\": " + randomValue(r, 1) + ", \"perform_chunking\": " + randomValue(r, 1) + "}");
      case 4 -> Buffer.buffer("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\n\r\n"
          + "ID3garbage\r\n--xyz--\r\n");
      default -> Buffer.buffer("{\"url\": \"https://example.org/a.mp3\", \"priority\": " + (r.nextInt(300) - 100) + "}");
    };
  }

  private static Object randomJson(Random r, int depth) {
    if (depth == 0 || r.nextInt(3) == 0) {
      return randomValue(r, depth);
    }
    if (r.nextBoolean()) {
      JsonArray a = new JsonArray();
      for (int i = 0; i < r.nextInt(4); i++) {
        a.add(randomJson(r, depth - 1));
      }
      return a;
    }
    JsonObject o = new JsonObject();
    String[] keys = {"url", "local_path", "model", "language", "priority", "translate", "callback_url", "temperature",
        "perform_analysis", "api_name", "x"};
    for (int i = 0; i < r.nextInt(6); i++) {
      o.put(keys[r.nextInt(keys.length)], randomJson(r, depth - 1));
    }
    return o;
  }

  private static Object randomValue(Random r, int depth) {
    return switch (r.nextInt(7)) {
      case 0 -> null;
      case 1 -> r.nextBoolean();
      case 2 -> r.nextInt();
      case 3 -> r.nextDouble() * 1e12;
      case 4 -> "\"http://" + r.nextInt(1000) + "\"";
      case 5 -> new JsonObject().put("nested", depth);
      default -> "\"/etc/../" + r.nextInt() + "\"";
    };
  }
}
