package earshot.web;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import earshot.EarshotNode;
import earshot.audio.TestAudio;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import earshot.stream.LiveAudio;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page at / and /docs in a real browser (Debian's chromium and chromedriver, headless) against a node with the
 * real pipeline on a synthetic model: an upload followed to 100% without a reload, its transcript and a download; a
 * wrong key shown as a sentence; Swagger UI rendering the document offline. Screenshots go to
 * {@code target/screenshots}. Skipped where the browser is not installed.
 */
class WebPageBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  static final Duration WAIT = Duration.ofMinutes(3);
  static final String KEY = "a-browser-test-key-012345";

  @TempDir
  static Path dir;

  static Vertx vertx;
  static WhisperFfmEngine engine;
  static EarshotNode node;
  static WebDriver browser;
  static Path downloads;
  static Path wav;
  static Path voice;
  /** Holds every download request open, so a job given its URL stays in audio_download until it is cancelled. */
  static HttpServer stall;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER), "chromium and chromedriver not installed");
    vertx = Vertx.vertx();
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny().multilingual());
    wav = TestAudio.writeWav(dir.resolve("speech.wav"), 4, 16000, 1);
    voice = writeWav(dir.resolve("voice.wav"), LiveAudio.concat(LiveAudio.silence(0.5), LiveAudio.voice(3, 1),
        LiveAudio.silence(1.5), LiveAudio.voice(2.5, 2), LiveAudio.silence(1.5)));
    stall = await(vertx.createHttpServer().requestHandler(req -> { }).listen(0, "127.0.0.1"));
    EarshotConfig config = TestConfigs.local(dir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("api", new JsonObject().put("key", KEY))
        .put("audio", new JsonObject()
            .put("models_dir", models.toString())
            .put("default_model", "base")
            .put("whisper", new JsonObject().put("threads", 1))
            .put("download", new JsonObject().put("allow_private", List.of("127.0.0.1/32")))));
    engine = new WhisperFfmEngine(config.audio().whisper().maxStates(), null);
    node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null,
        AudioPipeline.stages(config, engine, Clock.systemUTC()), Clock.systemUTC());
    await(node.start());

    downloads = Files.createDirectories(dir.resolve("downloads"));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,1200",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        "--use-file-for-fake-audio-capture=" + voice.toAbsolutePath());
    options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
        "download.prompt_for_download", false));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (node != null) {
      await(node.stop());
      await(vertx.close());
      engine.close();
    }
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + node.httpPort() + path;
  }

  private static WebElement byTestId(String id) {
    return browser.findElement(By.cssSelector("[data-testid='" + id + "']"));
  }

  private static void signIn(String key) {
    browser.get(url("/"));
    WebElement field = byTestId("api-key");
    field.clear();
    field.sendKeys(key);
    browser.findElement(By.id("key-save")).click();
  }

  private static WebDriverWait waiting() {
    // The page re-renders a job's row on each event, so an element found a moment ago may be gone: look again.
    WebDriverWait wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(200));
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  private static void screenshot(String name) throws Exception {
    Path out = Files.createDirectories(Path.of("target", "screenshots")).resolve(name + ".png");
    Files.write(out, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void uploadReachesCompletedLiveAndItsTranscriptDownloads() throws Exception {
    signIn(KEY);
    byTestId("file-input").sendKeys(wav.toAbsolutePath().toString());
    byTestId("upload-button").click();
    // The row appears and is updated by the job-event stream: no reload happens in this test.
    waiting().until(b -> Boolean.TRUE.equals(((JavascriptExecutor) b).executeScript(
        "return [...document.querySelectorAll(\"[data-testid='job-row'] [data-testid='job-status']\")]"
            + ".some(s => s.textContent.startsWith('completed'))")));
    Object progress = ((JavascriptExecutor) browser).executeScript(
        "return document.querySelector(\"[data-testid='job-progress']\").value");
    assertTrue(progress instanceof Number n && n.intValue() == 100, "progress " + progress);
    screenshot("jobs");

    byTestId("open-transcript").click();
    waiting().until(b -> !b.findElements(By.cssSelector("[data-testid='transcript'] li")).isEmpty());
    assertTrue(byTestId("transcript").getText().contains("0:00"), byTestId("transcript").getText());
    screenshot("transcript");

    byTestId("download-srt").click();
    waiting().until(b -> srt() != null);
    assertTrue(Files.readString(srt()).contains("-->"), "an SRT file");
  }

  private static Path srt() {
    try (Stream<Path> files = Files.list(downloads)) {
      return files.filter(f -> f.toString().endsWith(".srt")).findFirst().orElse(null);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  @Test
  void thePageFitsFourHundredPixelsWithItsUsage() throws Exception {
    signIn(KEY);
    waiting().until(b -> !byTestId("usage").getText().isBlank());
    browser.manage().window().setSize(new Dimension(400, 900));
    try {
      waiting().until(b -> Boolean.TRUE.equals(((JavascriptExecutor) b).executeScript(
          "return window.innerWidth <= 420 && document.documentElement.scrollWidth <= document.documentElement.clientWidth")));
      screenshot("narrow");
    } finally {
      browser.manage().window().setSize(new Dimension(1000, 1200));
    }
  }

  @Test
  void aWrongKeyIsShownAsASentence() throws Exception {
    signIn("not-the-key-at-all-0000");
    WebElement error = byTestId("error");
    waiting().until(b -> error.isDisplayed());
    assertTrue(error.getText().contains("not accepted"), error.getText());
    screenshot("wrong-key");
  }

  @Test
  void docsRenderTheDocumentFromTheJar() throws Exception {
    browser.get(url("/docs"));
    waiting().until(b -> b.findElements(By.cssSelector(".opblock")).size() > 10);
    assertTrue(browser.getPageSource().contains("/api/v1/audio/queue/stats"));
    screenshot("docs");
  }

  @Test
  void aJobGivenByUrlIsCancelledFromThePage() throws Exception {
    signIn(KEY);
    byTestId("url-input").sendKeys("http://127.0.0.1:" + stall.actualPort() + "/never.mp3");
    byTestId("upload-button").click();
    waitForStatus("processing");
    browser.findElement(By.cssSelector("[data-testid='cancel-button']")).click();
    waitForStatus("cancelled");
    waiting().until(b -> !b.findElements(By.cssSelector("[data-testid='retry-button']")).isEmpty());
  }

  @Test
  void theMicrophoneStreamsAndShowsPartialAndFinalText() throws Exception {
    signIn(KEY);
    ((JavascriptExecutor) browser).executeScript("window.sawPartial = false; new MutationObserver(() => {"
        + " if (document.getElementById('partial-text').textContent) window.sawPartial = true; })"
        + ".observe(document.getElementById('partial-text'), {childList: true, characterData: true, subtree: true});");
    byTestId("mic-button").click();
    waiting().until(b -> !byTestId("final-text").getText().isBlank());
    screenshot("live");
    byTestId("mic-button").click();
    assertTrue(Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript("return window.sawPartial")),
        "a partial was shown before the final");
    assertTrue(byTestId("error").getText().isEmpty(), byTestId("error").getText());
  }

  @Test
  void docsTryItOutSendsThePagesKey() throws Exception {
    signIn(KEY); // the key is in this tab's sessionStorage, which /docs reads
    browser.get(url("/docs"));
    WebElement summary = waiting().until(b -> b.findElement(
        By.cssSelector(".opblock-summary-path[data-path='/api/v1/audio/queue/stats']")));
    summary.click();
    // tryItOutEnabled opens each operation ready to run; the button then reads "Cancel".
    WebElement tryOut = waiting().until(b -> b.findElement(By.cssSelector(".opblock.is-open .try-out__btn")));
    if (tryOut.getText().contains("Try it out")) {
      tryOut.click();
    }
    waiting().until(b -> b.findElement(By.cssSelector(".opblock.is-open .execute"))).click();
    waiting().until(b -> b.findElements(By.cssSelector(".opblock.is-open .live-responses-table .response-col_status"))
        .stream().anyMatch(e -> e.getText().trim().startsWith("200")));
    screenshot("docs-try-it-out");
  }

  private static void waitForStatus(String status) {
    waiting().until(b -> Boolean.TRUE.equals(((JavascriptExecutor) b).executeScript(
        "return [...document.querySelectorAll(\"[data-testid='job-row'] [data-testid='job-status']\")]"
            + ".some(s => s.textContent.startsWith(arguments[0]))", status)));
  }

  /** 16 kHz mono 16-bit WAV of the samples, as chromium's fake microphone reads it. */
  static Path writeWav(Path file, float[] samples) throws java.io.IOException {
    byte[] pcm = LiveAudio.s16le(samples);
    ByteBuffer b = ByteBuffer.allocate(44 + pcm.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(36 + pcm.length).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
        .putShort((short) 1).putShort((short) 1).putInt(16000).putInt(32000).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes()).putInt(pcm.length).put(pcm);
    return Files.write(file, b.array());
  }
}
