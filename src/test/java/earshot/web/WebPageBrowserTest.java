package earshot.web;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import earshot.EarshotNode;
import earshot.audio.TestAudio;
import earshot.stream.LiveAudio;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The page at / and /docs in a real browser ({@link Browser}) against a node with an API key and the real pipeline
 * on a synthetic model: an upload followed to 100% without a reload, its transcript with words that seek the audio,
 * a download in every format; a cancel; a wrong key shown as a sentence; the microphone, by MediaRecorder and by the
 * AudioWorklet; Swagger UI rendering the document offline and running Try it out. Screenshots go to
 * {@code target/screenshots}. Skipped where the browser is not installed. The JWT, admin, analysis and quota cases
 * are in {@link WebPageMultiUserBrowserTest}.
 */
class WebPageBrowserTest {
  static final String KEY = "a-browser-test-key-012345";

  @TempDir
  static Path dir;

  static Vertx vertx;
  static WhisperFfmEngine engine;
  static EarshotNode node;
  static Browser browser;
  static Path wav;
  /** Holds every download request open, so a job given its URL stays in audio_download until it is cancelled. */
  static HttpServer stall;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Browser.installed(), "chromium and chromedriver not installed");
    vertx = Vertx.vertx();
    stall = await(vertx.createHttpServer().requestHandler(req -> { }).listen(0, "127.0.0.1"));
    PageNode started = PageNode.start(vertx, dir, new JsonObject().put("api", new JsonObject().put("key", KEY)));
    node = started.node();
    engine = started.engine();
    wav = TestAudio.writeWav(dir.resolve("speech.wav"), 4, 16000, 1);
    browser = new Browser("http://127.0.0.1:" + node.httpPort(), Files.createDirectories(dir.resolve("downloads")),
        microphone(dir));
  }

  /** Chromium's fake microphone: half a second of silence, two utterances with a pause between, then silence. */
  static Path microphone(Path dir) throws java.io.IOException {
    return writeWav(dir.resolve("voice.wav"), LiveAudio.concat(LiveAudio.silence(0.5), LiveAudio.voice(3, 1),
        LiveAudio.silence(1.5), LiveAudio.voice(2.5, 2), LiveAudio.silence(1.5)));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (node != null) {
      await(node.stop());
      await(vertx.close());
      engine.close();
    }
  }

  @Test
  void uploadReachesCompletedLiveItsWordsSeekTheAudioAndEveryFormatDownloads() throws Exception {
    browser.signIn(KEY);
    browser.byTestId("word-timestamps").click();
    browser.byTestId("file-input").sendKeys(wav.toAbsolutePath().toString());
    browser.byTestId("upload-button").click();
    String id = browser.acceptedJob();
    // The row is updated by the job-event stream: no reload happens in this test.
    browser.waitForJob(id, "completed");
    Object progress = browser.js("return arguments[0].value", browser.inJobRow(id, "job-progress"));
    assertTrue(progress instanceof Number n && n.intValue() == 100, "progress " + progress);
    browser.waiting().until(b -> !browser.inJobRow(id, "job-rtf").getText().isBlank()); // the real-time factor
    browser.screenshot("jobs");

    browser.inJobRow(id, "open-transcript").click();
    browser.waiting().until(b -> !b.findElements(By.cssSelector("[data-testid='transcript'] li")).isEmpty());
    assertTrue(browser.byTestId("transcript").getText().contains("0:00"), browser.byTestId("transcript").getText());

    // The uploaded file plays in the page; a click on a word seeks to it and marks it as the one being heard.
    WebElement audio = browser.byTestId("transcript-audio");
    assertTrue(audio.isDisplayed(), "the player shows the file this tab uploaded");
    browser.waiting().until(b -> browser.jsTrue("return arguments[0].readyState >= 1", audio));
    List<WebElement> words = browser.driver.findElements(By.cssSelector("[data-testid='word']"));
    assertTrue(!words.isEmpty(), "word timestamps were asked for: the words are shown");
    WebElement word = words.get(words.size() - 1);
    double start = Double.parseDouble(word.getDomAttribute("data-start"));
    browser.js("window.seekedTo = null; arguments[0].addEventListener('seeked', e => { if (window.seekedTo == null)"
        + " window.seekedTo = e.target.currentTime; }); window.marked = false; new MutationObserver(() => {"
        + " if (arguments[1].classList.contains('current')) window.marked = true; })"
        + ".observe(arguments[1], {attributes: true});", audio, word);
    word.click();
    browser.waiting().until(b -> browser.jsTrue("return window.seekedTo != null && window.marked"));
    assertEquals(start, ((Number) browser.js("return window.seekedTo")).doubleValue(), 0.05, "seeked to the word");
    browser.screenshot("transcript");

    for (String format : List.of("txt", "srt", "vtt", "json", "verbose_json")) {
      browser.byTestId("download-" + format).click();
      String suffix = "job-" + id + (format.equals("verbose_json") ? ".verbose.json" : "." + format);
      Path file = browser.waiting().until(b -> browser.downloaded(suffix));
      String content = Files.readString(file);
      switch (format) {
        case "txt" -> assertTrue(!content.isBlank() && !content.contains("-->"), content);
        case "srt" -> assertTrue(content.startsWith("1\n") && content.contains(" --> "), content);
        case "vtt" -> assertTrue(content.startsWith("WEBVTT"), content);
        case "json" -> assertTrue(new JsonObject(content).containsKey("words"), content);
        default -> assertTrue(!new JsonObject(content).getJsonArray("segments").isEmpty(), content);
      }
    }
  }

  @Test
  void thePageFitsFourHundredPixelsWithItsUsage() throws Exception {
    browser.signIn(KEY);
    browser.waiting().until(b -> !browser.byTestId("usage").getText().isBlank());
    browser.driver.manage().window().setSize(new Dimension(400, 900));
    try {
      browser.waiting().until(b -> browser.jsTrue("return window.innerWidth <= 420"
          + " && document.documentElement.scrollWidth <= document.documentElement.clientWidth"));
      browser.screenshot("narrow");
    } finally {
      browser.driver.manage().window().setSize(new Dimension(1000, 1200));
    }
  }

  @Test
  void everyControlHasALabelAndTheKeyboardSignsIn() throws Exception {
    browser.open("/");
    Object unlabelled = browser.js("return [...document.querySelectorAll('input, select, button, audio')]"
        + ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim()"
        + " && !(e.tagName === 'AUDIO')).map(e => e.id || e.outerHTML)");
    assertEquals(List.of(), unlabelled, "controls without a label");
    WebElement key = browser.byTestId("api-key");
    key.clear();
    key.sendKeys(KEY, org.openqa.selenium.Keys.ENTER); // Enter in the field is the Use button
    browser.waiting().until(b -> !browser.byTestId("usage").getText().isBlank());
    key.sendKeys(org.openqa.selenium.Keys.TAB);
    assertEquals("key-save", browser.js("return document.activeElement.id"), "Tab moves on to the Use button");
  }

  @Test
  void darkModeFollowsTheSystemsSetting() throws Exception {
    browser.signIn(KEY);
    browser.waiting().until(b -> browser.byTestId("usage").getText().contains("Minutes left today"));
    ChromeDriver chrome = (ChromeDriver) browser.driver;
    chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
        List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
    try {
      assertEquals("rgb(18, 18, 18)", browser.js("return getComputedStyle(document.body).backgroundColor"));
      assertEquals("rgb(238, 238, 238)", browser.js("return getComputedStyle(document.body).color"));
      browser.screenshot("dark");
    } finally {
      chrome.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of()));
    }
  }

  @Test
  void aLoopbackNodeWithoutAKeyNeedsNothingEntered(@TempDir Path other) throws Exception {
    PageNode open = PageNode.start(vertx, other, new JsonObject());
    try {
      browser.driver.get(open.base() + "/");
      browser.waiting().until(b -> browser.byTestId("usage").getText().contains("Minutes left today"));
      assertEquals("", browser.byTestId("api-key").getDomProperty("value"));
      assertTrue(browser.byTestId("error").getText().isEmpty(), browser.byTestId("error").getText());
    } finally {
      await(open.node().stop());
      open.engine().close();
    }
  }

  @Test
  void aWrongKeyIsShownAsASentence() throws Exception {
    browser.signIn("not-the-key-at-all-0000");
    String error = browser.waitForError();
    assertTrue(error.contains("not accepted"), error);
    browser.screenshot("wrong-key");
  }

  @Test
  void docsRenderTheDocumentFromTheJar() throws Exception {
    browser.open("/docs");
    browser.waiting().until(b -> b.findElements(By.cssSelector(".opblock")).size() > 10);
    assertTrue(browser.driver.getPageSource().contains("/api/v1/audio/queue/stats"));
    browser.screenshot("docs");
  }

  @Test
  void aJobGivenByUrlIsCancelledFromThePage() throws Exception {
    browser.signIn(KEY);
    browser.byTestId("url-input").sendKeys("http://127.0.0.1:" + stall.actualPort() + "/never.mp3");
    browser.byTestId("upload-button").click();
    String id = browser.acceptedJob();
    browser.waitForJob(id, "processing");
    browser.inJobRow(id, "cancel-button").click();
    browser.waitForJob(id, "cancelled");
    browser.waiting().until(b -> browser.inJobRow(id, "retry-button").isDisplayed());
  }

  @Test
  void theMicrophoneStreamsByMediaRecorderAndShowsPartialAndFinalText() throws Exception {
    liveTranscription("webm");
    browser.screenshot("live");
  }

  @Test
  void theMicrophoneStreamsAsPcmFromAnAudioWorklet() throws Exception {
    liveTranscription("pcm");
  }

  private static void liveTranscription(String format) {
    browser.signIn(KEY);
    new org.openqa.selenium.support.ui.Select(browser.byTestId("mic-format")).selectByValue(format);
    browser.js("window.sawPartial = false; new MutationObserver(() => {"
        + " if (document.getElementById('partial-text').textContent) window.sawPartial = true; })"
        + ".observe(document.getElementById('partial-text'), {childList: true, characterData: true, subtree: true});");
    browser.byTestId("mic-button").click();
    browser.waiting().until(b -> !browser.byTestId("final-text").getText().isBlank());
    browser.byTestId("mic-button").click();
    assertTrue(browser.jsTrue("return window.sawPartial"), "a partial was shown before the final");
    assertTrue(browser.byTestId("error").getText().isEmpty(), browser.byTestId("error").getText());
  }

  @Test
  void docsTryItOutSendsThePagesKey() throws Exception {
    browser.signIn(KEY); // the key is in this tab's sessionStorage, which /docs reads
    browser.open("/docs");
    WebElement summary = browser.waiting().until(b -> b.findElement(
        By.cssSelector(".opblock-summary-path[data-path='/api/v1/audio/queue/stats']")));
    summary.click();
    // tryItOutEnabled opens each operation ready to run; the button then reads "Cancel".
    WebElement tryOut = browser.waiting().until(b -> b.findElement(By.cssSelector(".opblock.is-open .try-out__btn")));
    if (tryOut.getText().contains("Try it out")) {
      tryOut.click();
    }
    browser.waiting().until(b -> b.findElement(By.cssSelector(".opblock.is-open .execute"))).click();
    browser.waiting().until(b -> b.findElements(By.cssSelector(".opblock.is-open .live-responses-table .response-col_status"))
        .stream().anyMatch(e -> e.getText().trim().startsWith("200")));
    browser.screenshot("docs-try-it-out");
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
