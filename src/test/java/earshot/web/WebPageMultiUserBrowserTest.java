package earshot.web;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import earshot.audio.TestAudio;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The page on a multi-user node (JWT) in a real browser ({@link Browser}): a user pastes a token, uploads with an
 * analysis by a provider (a local OpenAI-compatible server) and reads the analysis; their tier allows no live stream,
 * so the microphone's 4003 close is shown as a sentence; an admin sees every owner's jobs and the per-owner summary;
 * a token signed by someone else is refused with a sentence. Skipped where the browser is not installed.
 */
class WebPageMultiUserBrowserTest {
  static final String SECRET = "a-web-page-test-secret-long-enough-0123456789";
  static final String ANSWER = "Summary: a short test recording.";

  @TempDir
  static Path dir;

  static Vertx vertx;
  static PageNode node;
  static Browser browser;
  static HttpServer provider;
  static Path wav;
  static String alice;
  static String admin;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Browser.installed(), "chromium and chromedriver not installed");
    vertx = Vertx.vertx();
    // The analysis provider: outside the product, so a real local HTTP server in OpenAI's chat-completions shape.
    provider = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> req.response()
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("message",
            new JsonObject().put("role", "assistant").put("content", ANSWER)))).encode())))
        .listen(0, "127.0.0.1"));
    node = PageNode.start(vertx, dir, new JsonObject()
        .put("api", new JsonObject().put("jwt", new JsonObject().put("algorithm", "HS256").put("secret", SECRET)))
        .put("quota", new JsonObject().put("default_tier", "free").put("tiers", new JsonObject()
            .put("free", new JsonObject().put("concurrent_jobs", 2).put("concurrent_streams", 0)
                .put("daily_minutes", 100).put("max_queued_jobs", 100))))
        .put("audio", new JsonObject().put("allowed_roots", List.of(dir.toString())).put("providers", new JsonObject().put("local", new JsonObject()
            .put("base_url", "http://127.0.0.1:" + provider.actualPort() + "/v1").put("model", "stand-in")))));
    alice = token(SECRET, "alice");
    admin = token(SECRET, "root", "admin");
    wav = TestAudio.writeWav(dir.resolve("speech.wav"), 3, 16000, 1);
    browser = new Browser(node.base(), Files.createDirectories(dir.resolve("downloads")),
        WebPageBrowserTest.microphone(dir));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (node != null) {
      await(node.node().stop());
      await(vertx.close());
      node.engine().close();
    }
  }

  static String token(String secret, String sub, String... roles) {
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return signer.generateToken(new JsonObject().put("sub", sub).put("role", new JsonArray(List.of((Object[]) roles))),
        new JWTOptions().setAlgorithm("HS256").setExpiresInMinutes(30));
  }

  @Test
  void aUserWithATokenUploadsWithAnalysisAndReadsIt() throws Exception {
    browser.signIn(alice);
    browser.waiting().until(b -> browser.byTestId("usage").getText().contains("free"));
    assertFalse(browser.byTestId("all-owners").isDisplayed(), "not an admin: no other owners' jobs to show");
    browser.waiting().until(b -> browser.byTestId("perform-analysis").isDisplayed());
    assertEquals("local", browser.byTestId("provider").getDomProperty("value"));
    browser.byTestId("perform-analysis").click();
    browser.byTestId("file-input").sendKeys(wav.toAbsolutePath().toString());
    browser.byTestId("upload-button").click();
    String id = browser.acceptedJob();
    browser.waitForJob(id, "completed");
    browser.inJobRow(id, "open-transcript").click();
    browser.waiting().until(b -> browser.byTestId("analysis").isDisplayed());
    assertEquals(ANSWER, browser.byTestId("analysis").getText());
    browser.screenshot("analysis");
  }

  @Test
  void aTierWithoutLiveStreamsClosesTheMicrophoneWithASentence() throws Exception {
    browser.signIn(alice);
    browser.waiting().until(b -> browser.byTestId("usage").getText().contains("free"));
    browser.byTestId("mic-button").click();
    String error = browser.waitForError();
    assertTrue(error.contains("no more live streams") && error.contains("concurrent_streams"), error);
    browser.waiting().until(b -> browser.byTestId("mic-button").getText().startsWith("Start"));
    browser.screenshot("quota");
  }

  @Test
  void anAdminSeesEveryOwnersJobsAndTheirSummary() throws Exception {
    var upload = await(WebClient.create(vertx).post(node.node().httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
        .putHeader("Authorization", "Bearer " + alice)
        .sendMultipartForm(MultipartForm.create().binaryFileUpload("file", "a.wav", wav.toString(), "audio/wav")));
    assertEquals(202, upload.statusCode(), upload.bodyAsString());
    String id = String.valueOf(upload.bodyAsJsonObject().getLong("id"));

    browser.signIn(admin);
    browser.waiting().until(b -> browser.byTestId("owner-summary").isDisplayed()
        && browser.byTestId("owner-summary").getText().contains("alice"));
    assertTrue(b(() -> browser.driver.findElements(By.cssSelector("tr[data-job='" + id + "']")).isEmpty()),
        "an admin's own list is theirs until they ask for everyone's");
    browser.byTestId("all-owners").click();
    browser.waiting().until(b -> b.findElements(By.cssSelector("tr[data-job='" + id + "'] [data-testid='job-owner']"))
        .stream().anyMatch(e -> e.isDisplayed() && e.getText().equals("alice")));
    browser.screenshot("admin");
  }

  @Test
  void olderJobsArePagedIn() throws Exception {
    String bob = token(SECRET, "bob");
    Path notAudio = Files.writeString(dir.resolve("notes.mp3"), "some text, not audio");
    WebClient client = WebClient.create(vertx);
    for (int i = 0; i < 53; i++) { // more than the page's 50; they fail at audio_convert, which changes nothing here
      var r = await(client.post(node.node().httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
          .putHeader("Authorization", "Bearer " + bob).sendJsonObject(new JsonObject().put("local_path", notAudio.toString())));
      assertEquals(202, r.statusCode(), r.bodyAsString());
    }
    browser.signIn(bob);
    browser.waiting().until(b -> b.findElements(By.cssSelector("[data-testid='job-row']")).size() == 50);
    browser.byTestId("load-more").click();
    browser.waiting().until(b -> b.findElements(By.cssSelector("[data-testid='job-row']")).size() == 53);
    assertFalse(browser.byTestId("load-more").isDisplayed(), "no older page");
    var ids = browser.driver.findElements(By.cssSelector("[data-testid='job-row']")).stream()
        .map(e -> Long.parseLong(e.getDomAttribute("data-job"))).toList();
    assertEquals(ids.stream().sorted(java.util.Comparator.reverseOrder()).toList(), ids, "newest first, no repeats");
  }

  @Test
  void aTokenSignedBySomeoneElseIsRefusedWithASentence() throws Exception {
    browser.signIn(token("another-issuers-secret-that-is-long-enough-987", "mallory"));
    String error = browser.waitForError();
    assertTrue(error.contains("token was not accepted"), error);
  }

  private static boolean b(java.util.function.BooleanSupplier s) {
    return s.getAsBoolean();
  }
}
