package earshot.api;

import static earshot.api.StoreDiskFullContract.MARGIN;
import static earshot.api.StoreDiskFullContract.promptly;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.metrics.NoopJobMetrics;
import earshot.testsupport.SmallDisk;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads to a data directory on an 8 MiB tmpfs ({@link SmallDisk}), over real HTTP, on both upload routes: one that
 * runs out of room while it streams is answered 507 within 5 s and leaves no file in {@code data/uploads}; one whose
 * {@code Content-Length} does not fit in the free space less the reserve is answered 507 before its body is read.
 */
class UploadDiskFullTest {
  static final long RESERVE = 1 << 20;
  static final String BOUNDARY = "earshot-test-boundary";
  static final Buffer HEAD = Buffer.buffer("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\";"
      + " filename=\"talk.wav\"\r\nContent-Type: audio/wav\r\n\r\n");
  static final Buffer TAIL = Buffer.buffer("\r\n--" + BOUNDARY + "--\r\n");
  static final int CHUNK = 64 * 1024;

  @TempDir
  Path tempDir;

  Vertx vertx;
  HttpClient http;
  EarshotNode node;
  SmallDisk disk;

  @BeforeEach
  void start() throws Exception {
    disk = SmallDisk.mount(tempDir.resolve("disk"), "8m");
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    // The store stays off the small disk: these tests are about the upload's own file.
    node = new EarshotNode(vertx, TestConfigs.local(tempDir, new JsonObject()
        .put("data_dir", disk.dir().resolve("data").toString())
        .put("api", new JsonObject().put("key", JobsApiTest.KEY).put("upload_disk_reserve_bytes", RESERVE))),
        NoopJobMetrics.INSTANCE, null, JobsApiTest.stages(), Clock.systemUTC());
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
    } finally {
      if (disk != null) {
        disk.close();
      }
    }
  }

  @Test
  void anUploadThatRunsOutOfRoomWhileItStreamsGets507AndLeavesNoFile() throws IOException {
    disk.fillLeaving(2 * RESERVE); // room for the reserve and a little more: the upload starts, then fills the disk
    for (String path : new String[] {"/api/v1/audio/jobs/upload", "/v1/audio/transcriptions"}) {
      Answer answer = promptly("an upload to " + path + " on a disk that fills",
          () -> upload(path, 5 << 20, false, false));
      assertProblem(answer, 507, path);
      until("no upload left in data/uploads", MARGIN, () -> uploadsLeft() == 0);
    }
  }

  @Test
  void anUploadWhoseLengthDoesNotFitIsRefusedBeforeItsBodyIsRead() throws IOException {
    long tooLong = disk.usable() - RESERVE + 1;
    for (String path : new String[] {"/api/v1/audio/jobs/upload", "/v1/audio/transcriptions"}) {
      Answer answer = promptly("an upload to " + path + " that does not fit",
          () -> upload(path, tooLong, true, true));
      assertProblem(answer, 507, path);
      assertFalse(answer.continued, "the body was asked for (100 Continue) although it could not be stored");
      assertEquals(0, uploadsLeft());
    }
  }

  @Test
  void aClientThatSendsTheBodyWithoutWaitingStillReadsThe507() throws IOException {
    long tooLong = 4 * RESERVE;
    disk.fillLeaving(2 * RESERVE);
    Answer answer = promptly("an upload sent whole that does not fit",
        () -> upload("/api/v1/audio/jobs/upload", tooLong, false, true));
    assertProblem(answer, 507, "/api/v1/audio/jobs/upload");
  }

  /** What a client saw: the status, the body and whether it was asked to send its body. */
  record Answer(int status, String contentType, JsonObject problem, boolean continued) {}

  /**
   * POSTs a multipart upload whose file part holds {@code fileBytes} zero bytes: with a {@code Content-Length} when
   * {@code declared}, chunked otherwise; with {@code Expect: 100-continue} when {@code expectContinue}, sending the
   * body only once the server asks for it.
   */
  private Answer upload(String path, long fileBytes, boolean expectContinue, boolean declared) {
    AtomicBoolean continued = new AtomicBoolean();
    Future<Answer> answer = http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.httpPort()).setURI(path)).compose(req -> {
          // After a refusal the server may close the connection before the body is all sent; the answer is what counts.
          req.exceptionHandler(unsent -> { });
          req.putHeader("X-API-KEY", JobsApiTest.KEY)
              .putHeader("Content-Type", "multipart/form-data; boundary=" + BOUNDARY);
          if (declared) {
            req.putHeader("Content-Length", String.valueOf(HEAD.length() + fileBytes + TAIL.length()));
          } else {
            req.setChunked(true);
          }
          if (expectContinue) {
            req.putHeader("Expect", "100-continue");
            req.continueHandler(v -> {
              continued.set(true);
              sendBody(req, fileBytes);
            });
            req.sendHead();
          } else {
            sendBody(req, fileBytes);
          }
          return req.response().compose(r -> r.body().map(b -> new Answer(r.statusCode(),
              r.getHeader("Content-Type"), b.length() == 0 ? null : b.toJsonObject(), continued.get())));
        });
    return await(answer, StoreDiskFullContract.PROMPT);
  }

  /** Writes the body as fast as the connection takes it; the server may answer (and close) before it is all sent. */
  private static void sendBody(HttpClientRequest req, long fileBytes) {
    req.write(HEAD);
    Buffer zeros = Buffer.buffer(new byte[CHUNK]);
    long[] left = {fileBytes};
    Runnable pump = new Runnable() {
      @Override
      public void run() {
        while (left[0] > 0 && !req.writeQueueFull()) {
          int n = (int) Math.min(CHUNK, left[0]);
          req.write(n == CHUNK ? zeros : zeros.getBuffer(0, n));
          left[0] -= n;
        }
        if (left[0] > 0) {
          req.drainHandler(v -> run());
        } else {
          req.end(TAIL);
        }
      }
    };
    pump.run();
  }

  /** 507 with a body that says there is no room: a problem natively, OpenAI's error shape on /v1. */
  private static void assertProblem(Answer answer, int status, String path) {
    assertEquals(status, answer.status, path + ": " + answer.problem);
    if (path.startsWith("/v1/")) {
      assertEquals("application/json", answer.contentType, path);
      JsonObject error = answer.problem.getJsonObject("error");
      assertEquals("server_error", error.getString("type"), path + ": " + answer.problem);
      assertTrue(error.getString("message").contains("room"), path + ": " + answer.problem);
      return;
    }
    assertEquals("application/problem+json", answer.contentType, path);
    assertEquals(ProblemTypes.INSUFFICIENT_STORAGE, answer.problem.getString("type"), path);
    assertEquals(status, answer.problem.getInteger("status"), path);
    assertTrue(answer.problem.getString("detail").contains("room"), path + ": " + answer.problem);
  }

  private long uploadsLeft() {
    Path uploads = disk.dir().resolve("data/uploads");
    if (!Files.isDirectory(uploads)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(uploads)) {
      return files.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
