package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.testsupport.ApiNode;
import earshot.testsupport.Deadlines;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile multipart bodies on the upload routes, sent over a raw socket: each is refused with a problem naming what
 * was wrong, and nothing it wrote stays on disk.
 */
class MultipartUploadTest {
  static final Duration WAIT = Deadlines.WAIT;
  static final List<String> ROUTES = List.of("/api/v1/audio/jobs/upload", "/v1/audio/transcriptions",
      "/v1/audio/translations");

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  EarshotNode node;

  void start(JsonObject api) {
    node = this.api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("api", api.copy().put("key", JobsApiTest.KEY))), JobsApiTest.stages());
  }

  Path uploads() {
    return tempDir.resolve("data").resolve("uploads");
  }

  /** Polls until neither the staging directory nor the job workspaces hold a file. */
  void assertNothingLeft() {
    try {
      until("nothing left in data/uploads or data/work", WAIT, () -> left().isEmpty());
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + ": " + left(), e);
    }
  }

  List<Path> left() {
    Path data = tempDir.resolve("data");
    try (Stream<Path> all = Stream.of(uploads(), data.resolve("work"), data.resolve("jobs"))
        .flatMap(MultipartUploadTest::walk)) {
      return all.filter(Files::isRegularFile).toList();
    }
  }

  static Stream<Path> walk(Path dir) {
    try {
      return Files.exists(dir) ? Files.walk(dir) : Stream.empty();
    } catch (IOException e) {
      return Stream.of(dir); // something vanished while walking: not empty yet, look again
    }
  }

  static long files(Path dir) {
    try (Stream<Path> all = walk(dir)) {
      return all.filter(Files::isRegularFile).count();
    }
  }

  /**
   * A refusal naming {@code field}: a problem document on the native route, OpenAI's error shape (the field as its
   * {@code param}) on the /v1 routes, whose SDKs read nothing else.
   */
  static void assertRefused(String route, RawHttp.Response r, int status, String field) {
    assertEquals(status, r.status(), r.body());
    if (route.startsWith("/v1/")) {
      assertEquals("application/json", r.headers().get("content-type"), r.body());
      JsonObject error = r.json().getJsonObject("error");
      assertNotNull(error, r.body());
      assertNotNull(error.getString("message"), r.body());
      assertEquals(field, error.getString("param"), r.body());
    } else {
      assertEquals("application/problem+json", r.headers().get("content-type"), r.body());
      JsonObject p = r.json();
      assertEquals(status, p.getInteger("status"));
      assertNotNull(p.getString("detail"));
      assertEquals(field, p.getString("field"), p.encode());
    }
  }

  /** What a refusal says, in either shape. */
  static String detail(String route, RawHttp.Response r) {
    return route.startsWith("/v1/") ? r.json().getJsonObject("error").getString("message") : r.json().getString("detail");
  }

  @Test
  void aLargeFilePartIsStoredByteForByteAndNotLeftStaged() throws Exception {
    start(new JsonObject());
    byte[] wav = JobsApiTest.wav(4_000_000); // 8 MB: many chunks, and the file's write queue fills
    RawHttp.Response r = RawHttp.post(node.httpPort(), "/api/v1/audio/jobs/upload", new RawHttp.Multipart()
        .field("perform_chunking", "false").file("file", "long.wav", wav).field("priority", "7").bytes());
    assertEquals(202, r.status(), r.body());
    Path stored = tempDir.resolve("data/jobs/" + r.json().getString("uuid") + "/upload.wav");
    assertTrue(Arrays.equals(wav, Files.readAllBytes(stored)), "the upload is stored exactly as sent");
    until("nothing is left staged", WAIT, () -> files(uploads()) == 0);
  }

  @Test
  void tenThousandFilePartsAre400AndLeaveNothing() {
    start(new JsonObject());
    byte[] chunk = new byte[2000];
    Arrays.fill(chunk, (byte) 'x');
    RawHttp.Multipart form = new RawHttp.Multipart();
    for (int i = 0; i < 10_000; i++) {
      form.file("file", "part" + i + ".wav", chunk);
    }
    byte[] body = form.bytes();
    for (String route : ROUTES) {
      RawHttp.Response r = RawHttp.post(node.httpPort(), route, body);
      assertRefused(route, r, 400, "file");
      assertTrue(detail(route, r).contains("one file part"), r.body());
      assertEquals("close", r.headers().get("connection"), "answered while the body was still coming");
      assertNothingLeft();
    }
  }

  @Test
  void aFilePartUnderAnotherNameIsRefusedNamingItBeforeItIsWritten() {
    start(new JsonObject());
    byte[] wav = JobsApiTest.wav(16000);
    for (String route : ROUTES) {
      RawHttp.Response r = RawHttp.post(node.httpPort(), route, new RawHttp.Multipart().field("model", "whisper-1")
          .file("file", "a.wav", wav).file("attachment", "b.wav", wav).bytes());
      assertRefused(route, r, 400, "attachment");
      assertNothingLeft();
      RawHttp.Response first = RawHttp.post(node.httpPort(), route,
          new RawHttp.Multipart().file("attachment", "b.wav", wav).file("file", "a.wav", wav).bytes());
      assertRefused(route, first, 400, "attachment");
      assertNothingLeft();
    }
  }

  @Test
  void moreFormPartsThanAllowedAreRefused() {
    start(new JsonObject().put("max_form_parts", 8));
    RawHttp.Multipart form = new RawHttp.Multipart().file("file", "a.wav", JobsApiTest.wav(16000));
    for (int i = 0; i < 20; i++) {
      form.field("f" + i, "v");
    }
    for (String route : ROUTES) {
      RawHttp.Response r = RawHttp.post(node.httpPort(), route, form.bytes());
      assertEquals(413, r.status(), r.body());
      assertTrue(detail(route, r).contains("8 parts"), r.body());
      assertNothingLeft();
    }
  }

  @Test
  void formFieldsOverTheirLimitAre413() {
    start(new JsonObject().put("max_form_field_bytes", 4096));
    byte[] wav = JobsApiTest.wav(16000);
    for (String route : ROUTES) {
      // One field over the limit alone, and two that are over it together.
      RawHttp.Response one = RawHttp.post(node.httpPort(), route,
          new RawHttp.Multipart().field("prompt", "p".repeat(5000)).file("file", "a.wav", wav).bytes());
      assertEquals(413, one.status(), one.body());
      assertEquals(route.startsWith("/v1/") ? "application/json" : "application/problem+json",
          one.headers().get("content-type"));
      assertNothingLeft();
      RawHttp.Response two = RawHttp.post(node.httpPort(), route, new RawHttp.Multipart().file("file", "a.wav", wav)
          .field("prompt", "p".repeat(3000)).field("language", "l".repeat(3000)).bytes());
      assertRefused(route, two, 413, "language");
      assertNothingLeft();
    }
  }

  @Test
  void anUploadAbortedMidPartLeavesNothing() throws Exception {
    start(new JsonObject());
    byte[] partial = new RawHttp.Multipart().field("model", "whisper-1")
        .file("file", "a.wav", JobsApiTest.wav(200_000)).unfinished();
    for (String route : ROUTES) {
      try (Socket socket = new Socket("127.0.0.1", node.httpPort())) {
        OutputStream out = socket.getOutputStream();
        out.write(RawHttp.head(route, partial.length + 10_000_000L)); // promises far more than it sends
        out.write(partial);
        out.flush();
        until("the upload is being written", WAIT, () -> files(uploads()) == 1);
      }
      assertNothingLeft();
    }
  }

  @Test
  void aBodyThatEndsMidPartIsRefusedAndLeavesNothing() {
    start(new JsonObject());
    byte[] cut = new RawHttp.Multipart().file("file", "a.wav", JobsApiTest.wav(100_000)).unfinished();
    for (String route : ROUTES) {
      RawHttp.Response r = RawHttp.post(node.httpPort(), route, java.util.Arrays.copyOf(cut, cut.length - 1000));
      assertEquals(400, r.status(), r.body());
      assertNothingLeft();
    }
  }

  @Test
  void aBodyThatIsNotMultipartIsRefusedNamingTheFilePart() {
    start(new JsonObject());
    for (String route : ROUTES) {
      try (Socket socket = new Socket("127.0.0.1", node.httpPort())) {
        socket.setSoTimeout(60_000);
        byte[] body = "{\"file\": 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        socket.getOutputStream().write(("POST " + route + " HTTP/1.1\r\nHost: x\r\nX-API-KEY: " + JobsApiTest.KEY
            + "\r\nAuthorization: Bearer " + JobsApiTest.KEY + "\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().write(body);
        assertRefused(route, RawHttp.read(socket.getInputStream()), 400, "file");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
