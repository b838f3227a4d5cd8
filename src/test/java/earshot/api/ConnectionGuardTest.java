package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.runner.StageRegistry;
import earshot.testsupport.ApiNode;
import earshot.testsupport.Deadlines;
import earshot.testsupport.LogCapture;
import earshot.testsupport.StandInStages;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What idle, slow and numerous clients can hold, driven with raw sockets against a real node. Timeouts are configured
 * at 1 to 3 s; every assertion allows {@link #DEADLINE}, far more, so a loaded machine does not fail them.
 */
class ConnectionGuardTest {
  static final Duration DEADLINE = Deadlines.WAIT;

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  EarshotNode node;

  void start(JsonObject http) {
    start(http, JobsApiTest.stages(), List.of("api", "scheduler"));
  }

  void start(JsonObject http, StageRegistry stages, List<String> roles) {
    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("roles", roles)
        .put("http", http)
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("api", new JsonObject().put("key", JobsApiTest.KEY))), stages);
  }

  static JsonObject http(double idle, double header) {
    return new JsonObject().put("idle_timeout_seconds", idle).put("header_timeout_seconds", header);
  }

  Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", node.httpPort());
    socket.setSoTimeout((int) DEADLINE.toMillis());
    return socket;
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    start(http(1, 10));
    try (Socket idle = connect()) {
      assertEquals("", readUntilClosed(idle), "closed without a response");
    }
  }

  @Test
  void aRequestLineTrickledByteByByteIsClosedByTheHeadTimeout() throws Exception {
    start(http(30, 1)); // every byte comes well within the idle timeout; the head as a whole must come within 1 s
    String head = "GET /health?pad=" + "a".repeat(200) + " HTTP/1.1\r\nHost: earshot\r\n\r\n"; // 25 s at this rate
    try (Socket slow = connect(); Trickle trickle = new Trickle(slow, head.getBytes(StandardCharsets.US_ASCII), 100)) {
      assertEquals("", readUntilClosed(slow), "closed before the head was complete");
      assertTrue(trickle.sent() >= 2, "sent " + trickle.sent() + " bytes");
      assertTrue(trickle.sent() < head.length(), "the head never completed");
    }
  }

  @Test
  void aMultipartBodyTrickledBelowTheMinimumRateGets408AndIsClosed() throws Exception {
    start(http(30, 30).put("min_upload_bytes_per_second", 1024).put("min_upload_window_seconds", 1));
    try (Socket slow = connect()) {
      OutputStream out = slow.getOutputStream();
      out.write(uploadHead(100_000).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      try (Trickle trickle = new Trickle(slow, new byte[100_000], 50)) { // 20 bytes a second
        String response = readUntilClosed(slow);
        assertTrue(response.startsWith("HTTP/1.1 408"), response);
        assertTrue(response.contains(ProblemTypes.REQUEST_TIMEOUT), response);
        assertTrue(trickle.sent() > 0);
      }
    }
    until("the partial upload to be deleted", DEADLINE, this::uploadsEmpty);
  }

  @Test
  void anUploadAbortedMidBodyLeavesNothingBehindAndLogsNoError() throws Exception {
    start(new JsonObject());
    try (LogCapture log = LogCapture.start()) {
      try (Socket client = connect()) {
        OutputStream out = client.getOutputStream();
        out.write(uploadHead(100_000).getBytes(StandardCharsets.ISO_8859_1));
        out.write(JobsApiTest.wav(10_000)); // about a fifth of the announced file, then the client goes away
        out.flush();
        until("the upload to reach the disk", DEADLINE, () -> !uploadsEmpty());
      }
      until("the server to see the client go away", DEADLINE,
          () -> log.at("INFO").stream().anyMatch(l -> l.contains("the connection closed before the response")));
      until("the partial upload to be deleted", DEADLINE, this::uploadsEmpty);
      assertEquals(List.of(), log.at("ERROR"), "a client that goes away is not a server error");
    }
  }

  @Test
  void connectionsOverTheCapAreClosedAtOnceAndRoomIsMadeAgainWhenOneCloses() throws Exception {
    start(new JsonObject().put("max_connections", 3));
    List<Socket> held = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Socket s = connect();
        held.add(s);
        assertEquals(200, get(s, "/health").status(), "connection " + (i + 1) + " is within the cap");
      }
      try (Socket over = connect()) {
        assertEquals("", readUntilClosed(over), "the fourth connection is closed without a word");
      }
      held.removeFirst().close();
      until("a connection to be let in again", DEADLINE, () -> {
        try (Socket again = connect()) {
          return get(again, "/health").status() == 200;
        } catch (IOException refused) {
          return false; // the first close may not have been counted yet
        }
      });
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void requestsOnAKeptAliveConnectionStillWork() throws Exception {
    start(http(3, 3)); // short, yet longer than a loaded machine may take between a request's bytes
    try (Socket s = connect()) {
      assertEquals(200, get(s, "/health").status());
      assertEquals(200, get(s, "/health").status(), "the same connection serves a second request");
      Reply missing = get(s, "/nowhere");
      assertEquals(404, missing.status());
      assertEquals("", readUntilClosed(s), "then it is closed once idle");
    }
  }

  @Test
  void aSynchronousRequestThatWaitsLongerThanTheTimeoutsIsNotCut() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    AtomicBoolean converting = new AtomicBoolean();
    StageRegistry instant = JobsApiTest.stages();
    StageRegistry held = StandInStages.everyStage((stage, ctx) -> {
      if (stage != JobStage.AUDIO_CONVERT) {
        return instant.handler(stage).orElseThrow().execute(ctx);
      }
      converting.set(true);
      return Future.fromCompletionStage(release, Vertx.currentContext())
          .compose(v -> instant.handler(stage).orElseThrow().execute(ctx));
    });
    start(http(3, 3), held, List.of("api", "scheduler", "cpu", "gpu"));
    Path wav = Files.write(tempDir.resolve("speech.wav"), JobsApiTest.wav(16000));
    WebClient web = WebClient.create(vertx); // referenced until the answer: an unreferenced client may be closed by GC
    Future<io.vertx.ext.web.client.HttpResponse<Buffer>> sync = web
        .post(node.httpPort(), "127.0.0.1", "/v1/audio/transcriptions")
        .putHeader("Authorization", "Bearer " + JobsApiTest.KEY)
        .sendMultipartForm(MultipartForm.create()
            .binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav").attribute("response_format", "text"));
    until("the job to be converting", DEADLINE, converting::get);
    try (Socket control = connect()) {
      assertEquals("", readUntilClosed(control)); // the timeouts have passed for a connection opened after it
    }
    assertFalse(sync.isComplete(), "the waiting request is still open");
    release.complete(null);
    io.vertx.ext.web.client.HttpResponse<Buffer> answer = await(sync);
    web.close();
    assertEquals(200, answer.statusCode(), answer.bodyAsString());
    assertEquals("Hello there\n", answer.bodyAsString());
  }

  @Test
  void aWebSocketUpgradedThroughTheRequestHandlerIsLeftToItsOwnRules() throws Exception {
    // No WebSocket route exists yet: this server stands in for one, behind the same guard as the API's verticle.
    EchoSocketServer server = new EchoSocketServer(ConfigLoader.fromOverrides(new JsonObject().put("http", http(3, 3)))
        .http());
    await(vertx.deployVerticle(server));
    // Held in a variable for the whole test: Vert.x closes a client that is no longer referenced once the GC finds it,
    // and with it the WebSocket, which made the handshake fail at random.
    WebSocketClient wsClient = vertx.createWebSocketClient();
    WebSocket ws = await(wsClient.connect(server.port, "127.0.0.1", "/live"));
    try (Socket control = new Socket("127.0.0.1", server.port)) {
      control.setSoTimeout((int) DEADLINE.toMillis());
      assertEquals("", readUntilClosed(control)); // both timeouts have passed for the older, silent WebSocket too
    }
    assertFalse(ws.isClosed(), "the silent WebSocket is still open");
    CompletableFuture<String> echoed = new CompletableFuture<>();
    ws.textMessageHandler(echoed::complete);
    await(ws.writeTextMessage("still here"));
    assertEquals("still here", echoed.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
    await(ws.close());
    await(wsClient.close());
    until("the node's connection count to come back to zero", DEADLINE, () -> await(vertx.sharedData()
        .getLocalCounter(ConnectionGuard.OPEN_CONNECTIONS).compose(c -> c.get())) == 0);
  }

  /** Echoes WebSocket text messages; upgrades every request, as a live-stream route would. */
  static final class EchoSocketServer extends VerticleBase {
    private final EarshotConfig.Http limits;
    volatile int port;

    EchoSocketServer(EarshotConfig.Http limits) {
      this.limits = limits;
    }

    @Override
    public Future<?> start() {
      HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(false);
      return ConnectionGuard.create(vertx, limits)
          .compose(guard -> guard.install(vertx.createHttpServer(options), request -> request.toWebSocket()
              .onSuccess(ws -> ws.textMessageHandler(text -> ws.writeTextMessage(text)))).listen(0, "127.0.0.1"))
          .onSuccess(s -> port = s.actualPort());
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  boolean uploadsEmpty() {
    try (var files = Files.list(tempDir.resolve("data/uploads"))) {
      return files.findAny().isEmpty();
    } catch (java.nio.file.NoSuchFileException none) {
      return true;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The head of an upload with the file part's headers, announcing {@code fileBytes} bytes of audio to follow. */
  static String uploadHead(int fileBytes) {
    String part = "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
        + "Content-Type: audio/wav\r\n\r\n";
    long length = part.length() + fileBytes + "\r\n--xyz--\r\n".length();
    return "POST /api/v1/audio/jobs/upload HTTP/1.1\r\nHost: earshot\r\nX-API-KEY: " + JobsApiTest.KEY + "\r\n"
        + "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: " + length + "\r\n\r\n" + part;
  }

  record Reply(int status, String head, String body) {}

  static Reply get(Socket s, String path) throws IOException {
    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: earshot\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    return readResponse(s.getInputStream());
  }

  /** One response with a Content-Length body. */
  static Reply readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    String end = "\r\n\r\n";
    for (int matched = 0; matched < end.length(); ) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("closed after " + head);
      }
      head.write(b);
      matched = b == end.charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    Matcher length = Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(text);
    byte[] body = in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
    return new Reply(Integer.parseInt(text.substring(9, 12)), text, new String(body, StandardCharsets.UTF_8));
  }

  /** Everything the server sends until it closes; fails if it keeps the connection open past the deadline. */
  static String readUntilClosed(Socket s) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try {
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the connection open for " + DEADLINE + "; got: " + got);
    } catch (SocketException reset) {
      // closed with a reset (unread bytes were pending): closed all the same
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  /** A client that sends {@code bytes} one at a time, one every {@code everyMs}, until done or refused. */
  static final class Trickle implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger sent = new AtomicInteger();

    Trickle(Socket socket, byte[] bytes, long everyMs) throws IOException {
      OutputStream out = socket.getOutputStream();
      timer.scheduleAtFixedRate(() -> {
        int at = sent.get();
        if (at >= bytes.length) {
          return;
        }
        try {
          out.write(bytes[at]);
          out.flush();
          sent.incrementAndGet();
        } catch (IOException closed) {
          timer.shutdown();
        }
      }, 0, everyMs, TimeUnit.MILLISECONDS);
    }

    int sent() {
      return sent.get();
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }
}
