package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What a client sent comes back in a problem's detail only escaped and cut short. */
class EchoTest {
  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  EarshotNode node;

  @Test
  void controlCharactersAreEscapedAndLongInputIsCut() {
    assertEquals("'base\\u0000evil'", Echo.quoted("base\u0000evil"));
    assertEquals("'a\\u000D\\u000Ab\\u202Ec \\'q\\' \\\\'", Echo.quoted("a\r\nb\u202Ec 'q' \\"));
    assertEquals("'\\uD800'", Echo.quoted("\uD800"), "a lone surrogate");
    assertEquals("'écoute 🎧'", Echo.quoted("écoute 🎧"), "printable text is kept as it is");
    String cut = Echo.quoted("x".repeat(10_240));
    assertEquals("'" + "x".repeat(Echo.MAX_CODE_POINTS) + "…'", cut);
    assertEquals("'" + "🎧".repeat(Echo.MAX_CODE_POINTS) + "…'", Echo.quoted("🎧".repeat(100)),
        "cut between characters, never inside one");
    assertEquals("null", Echo.quoted(null));
  }

  @Test
  void aModelNameWithANulOrOfTenKilobytesIsNotEchoedAsItCame() {
    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("api", new JsonObject().put("key", JobsApiTest.KEY))), JobsApiTest.stages());

    JsonObject nul = submit("base\u0000<script>");
    assertEquals(422, nul.getInteger("status"), nul.encode());
    assertEquals("model", nul.getString("field"));
    String detail = nul.getString("detail");
    assertTrue(detail.contains("'base\\u0000<script>'"), detail);
    assertFalse(detail.contains("\u0000"), detail);

    for (int length : new int[] {8_000, 10_240}) {
      JsonObject big = submit("m".repeat(length));
      assertEquals("model", big.getString("field"), big.encode());
      assertTrue(big.getString("detail").length() < 400, length + " chars gave " + big.getString("detail"));
    }
    assertTrue(submit("m".repeat(8_000)).getString("detail").contains("m".repeat(Echo.MAX_CODE_POINTS) + "…'"));
  }

  private JsonObject submit(String model) {
    HttpResponse<Buffer> r = await(WebClient.create(vertx).post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
        .putHeader("X-API-KEY", JobsApiTest.KEY)
        .sendJsonObject(new JsonObject().put("url", "https://example.org/a.mp3").put("model", model)));
    assertEquals("application/problem+json", r.getHeader("Content-Type"));
    return r.bodyAsJsonObject();
  }
}
