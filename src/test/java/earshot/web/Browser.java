package earshot.web;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.openqa.selenium.By;
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
 * Debian's chromium, headless, driven by its chromedriver: the page's tests look at it as a user would, through the
 * {@code data-testid} hooks. Its microphone is a WAV file; its downloads land in a directory of the test's. Every
 * wait polls with a deadline that holds on a loaded machine.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  static final Duration WAIT = Duration.ofMinutes(3);
  private static final Pattern ACCEPTED = Pattern.compile("Job (\\d+) accepted");

  final WebDriver driver;
  final Path downloads;
  private final String base;

  static boolean installed() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
  }

  Browser(String base, Path downloads, Path microphone) {
    this.base = base;
    this.downloads = downloads;
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,1200",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        "--use-file-for-fake-audio-capture=" + microphone.toAbsolutePath(), "--autoplay-policy=no-user-gesture-required");
    options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
        "download.prompt_for_download", false));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
    this.driver = new ChromeDriver(service, options);
  }

  void open(String path) {
    driver.get(base + path);
  }

  /** Opens the page and signs in with {@code secret}, an API key or a JWT, as a user types it. */
  void signIn(String secret) {
    open("/");
    WebElement field = byTestId("api-key");
    field.clear();
    field.sendKeys(secret);
    driver.findElement(By.id("key-save")).click();
  }

  WebElement byTestId(String id) {
    return driver.findElement(By.cssSelector("[data-testid='" + id + "']"));
  }

  Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  boolean jsTrue(String script, Object... args) {
    return Boolean.TRUE.equals(js(script, args));
  }

  WebDriverWait waiting() {
    // The page re-renders a job's row on each event, so an element found a moment ago may be gone: look again.
    WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(200));
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  /** The id of the job the page last said it accepted ("Job 7 accepted."), once it says so. */
  String acceptedJob() {
    return waiting().until(b -> {
      Matcher m = ACCEPTED.matcher(byTestId("upload-status").getText());
      return m.find() ? m.group(1) : null;
    });
  }

  /** Until job {@code id}'s row shows a status that starts with {@code status}. */
  void waitForJob(String id, String status) {
    waiting().until(b -> jsTrue("const s = document.querySelector(\"tr[data-job='\" + arguments[0]"
        + " + \"'] [data-testid='job-status']\"); return s != null && s.textContent.startsWith(arguments[1])", id, status));
  }

  /** A control in job {@code id}'s row. */
  WebElement inJobRow(String id, String testId) {
    return driver.findElement(By.cssSelector("tr[data-job='" + id + "'] [data-testid='" + testId + "']"));
  }

  /** Until the error line shows, and its text. */
  String waitForError() {
    WebElement error = byTestId("error");
    waiting().until(b -> error.isDisplayed() && !error.getText().isBlank());
    return error.getText();
  }

  /** A file the browser downloaded whose name ends with {@code suffix}, once it is complete; null until then. */
  Path downloaded(String suffix) {
    try (Stream<Path> files = Files.list(downloads)) {
      return files.filter(f -> f.getFileName().toString().endsWith(suffix)).findFirst().orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  /** Saves what the browser shows as {@code target/screenshots/<name>.png}. */
  void screenshot(String name) throws IOException {
    Path out = Files.createDirectories(Path.of("target", "screenshots")).resolve(name + ".png");
    Files.write(out, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  @Override
  public void close() {
    driver.quit();
  }
}
