package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import earshot.testsupport.ApiNode;
import earshot.testsupport.S3Server;
import earshot.testsupport.TestConfigs;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** /ready tells whether the artifact store can be used: a bucket nobody answers for makes the node not ready. */
class ArtifactReadinessTest {
  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final WebClient client = api.client();

  JsonObject ready(int expected) {
    HttpResponse<Buffer> r = await(client.get(api.port(), "127.0.0.1", "/ready").send());
    assertEquals(expected, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  @Test
  void anUnreachableBucketMakesTheNodeNotReady() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    JsonObject s3 = new JsonObject().put("store", "s3").put("s3", new JsonObject()
        .put("endpoint", "http://127.0.0.1:" + closed).put("bucket", S3Server.BUCKET)
        .put("access_key", S3Server.ACCESS_KEY).put("secret_key", S3Server.SECRET_KEY));
    api.start(TestConfigs.local(tempDir, new JsonObject().put("artifacts", s3)), JobsApiTest.stages());
    JsonObject body = ready(503);
    assertEquals("NOT_READY", body.getString("readiness"));
    assertEquals("s3", body.getJsonObject("artifacts").getString("kind"));
    assertEquals("DOWN", body.getJsonObject("artifacts").getString("status"));
  }

  @Test
  void aReachableBucketIsUp() {
    try (S3Server server = S3Server.start(tempDir.resolve("s3"))) {
      api.start(TestConfigs.local(tempDir, server.overrides()), JobsApiTest.stages());
      JsonObject body = ready(200);
      assertEquals(new JsonObject().put("kind", "s3").put("status", "UP"), body.getJsonObject("artifacts"));
      api.stop();
    }
  }
}
