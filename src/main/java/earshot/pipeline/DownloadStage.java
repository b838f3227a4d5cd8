package earshot.pipeline;

import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.net.AddressPolicy;
import earshot.net.UrlGuard;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.file.Path;
import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * audio_download: streams the job's {@code url} into its work directory, puts the file into the artifact store as
 * {@code jobs/<uuid>/source.<ext>} (a rename for a directory store on the same disk) and records its key as
 * {@code source_key}, so that audio_convert can run on any CPU node; the local file is deleted on every path. Every URL, the first and each redirect target, is cleared by the {@link UrlGuard} and the
 * connection goes to the address it validated. Redirects are followed here, not by the HTTP client, so that each hop
 * is checked and counted. The body goes straight to an {@link AsyncFile} with back-pressure and a byte limit; it is
 * never held in memory.
 *
 * <p>Threading: runs on the runner's context and never blocks it; DNS and directory creation go to
 * {@link StageContext#blocking}, file writes are Vert.x's asynchronous file I/O. One HTTP client per run, closed at
 * its end.
 */
public final class DownloadStage implements StageHandler {
  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
  private static final Pattern EXTENSION = Pattern.compile("\\.([A-Za-z0-9]{1,8})$");

  private final EarshotConfig.Download limits;
  private final Workspace workspace;
  private final ArtifactStore artifacts;
  private final UrlGuard guard;
  private final HttpClientOptions clientOptions;

  public DownloadStage(EarshotConfig.Audio audio, Workspace workspace, ArtifactStore artifacts) {
    this(audio, workspace, artifacts, new HttpClientOptions());
  }

  /** With a directory store over the workspace's data directory (the stage's own tests). */
  public DownloadStage(EarshotConfig.Audio audio, Workspace workspace) {
    this(audio, workspace, ConvertStage.dirStore(workspace), new HttpClientOptions());
  }

  DownloadStage(EarshotConfig.Audio audio, Workspace workspace, HttpClientOptions clientOptions) {
    this(audio, workspace, ConvertStage.dirStore(workspace), clientOptions);
  }

  /** {@code clientOptions} is the base for each run's client (tests add trust for a self-signed certificate). */
  DownloadStage(EarshotConfig.Audio audio, Workspace workspace, ArtifactStore artifacts,
                HttpClientOptions clientOptions) {
    this.limits = audio.download();
    this.workspace = workspace;
    this.artifacts = artifacts;
    this.guard = new UrlGuard(new AddressPolicy(limits.allowPrivate()));
    this.clientOptions = new HttpClientOptions(clientOptions)
        // Keep-alive on the wire, though each hop's connection is our own and closed by us when its body ends: with
        // "Connection: close" servers close right after the last byte, and Vert.x's client fails a response that is
        // paused for back-pressure when the close arrives, dropping the last chunks it had already read
        // (DownloadStageTest reproduced it about once in 40 large downloads under load).
        .setKeepAlive(true)
        .setVerifyHost(true)
        .setConnectTimeout(millis(limits.connectTimeout()))
        .setMaxRedirects(0);
  }

  @Override
  public JobStage stage() {
    return JobStage.AUDIO_DOWNLOAD;
  }

  @Override
  public Future<StageOutcome> execute(StageContext ctx) {
    JsonObject payload = ctx.payload();
    String url = payload.getValue(PayloadKeys.URL) instanceof String s ? s : null; // absent or not text: refused
    UrlGuard.HostResolver resolver = host -> ctx.blocking(() -> List.of(InetAddress.getAllByName(host)));
    HttpClientAgent client = ctx.vertx().createHttpClient(clientOptions);
    return guard.check(url, resolver)
        .compose(target -> download(ctx, client, resolver, target))
        .compose(file -> ctx.blocking(() -> store(ctx.job().uuid(), file)))
        .<StageOutcome>map(key -> StageOutcome.completed(payload.put(PayloadKeys.SOURCE_KEY, key)))
        .recover(e -> Future.failedFuture(classify(e)))
        .eventually(client::close);
  }

  /** Puts the downloaded file into the store; the local file is gone afterwards, stored or not. Blocking. */
  private String store(String uuid, Path file) throws java.io.IOException {
    String key = ArtifactKeys.source(uuid, file.getFileName().toString());
    try {
      artifacts.putMoving(key, file);
      return key;
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }

  private Future<Path> download(StageContext ctx, HttpClientAgent client, UrlGuard.HostResolver resolver,
                                UrlGuard.Target target) {
    Future<Path> file = ctx.blocking(
        () -> workspace.createWorkDir(ctx.job().uuid()).resolve(fileName(target)).toAbsolutePath());
    return file
        .compose(f -> fetch(client, target, resolver, 0))
        .compose(response -> save(ctx, response, file.result()));
  }

  /** Requests {@code target}; follows redirects (each one checked); yields a paused 2xx response. */
  private Future<HttpClientResponse> fetch(HttpClientAgent client, UrlGuard.Target target,
                                           UrlGuard.HostResolver resolver, int redirects) {
    HttpConnectOptions connect = new HttpConnectOptions()
        .setServer(target.server())
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.ssl())
        .setConnectTimeout(millis(limits.connectTimeout()));
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setHost(target.host())
        .setPort(target.port())
        .setURI(target.requestUri())
        .setFollowRedirects(false)
        .setIdleTimeout(millis(limits.idleTimeout()))
        .putHeader(HttpHeaders.USER_AGENT, "earshot");
    // One connection of our own per hop (not the pool): dialled to the pinned address, closed when the hop is done.
    return client.connect(connect)
        .compose(connection -> connection.request(request)
            .compose(HttpClientRequest::send)
            .onFailure(e -> closeQuietly(connection)))
        .compose(response -> {
          int status = response.statusCode();
          if (status >= 200 && status < 300) {
            response.pause(); // until the file is open: no byte may be dropped
            return Future.succeededFuture(response);
          }
          String location = response.getHeader(HttpHeaders.LOCATION);
          hangUp(response);
          if (REDIRECTS.contains(status) && location != null) {
            if (redirects >= limits.maxRedirects()) {
              return Future.failedFuture(new PermanentStageException(
                  "too many redirects: more than " + limits.maxRedirects() + " (last to " + location + ")"));
            }
            return guard.check(UrlGuard.resolveRedirect(target.uri(), location), resolver)
                .compose(next -> fetch(client, next, resolver, redirects + 1));
          }
          return Future.failedFuture(statusFailure(status, target));
        });
  }

  /** Streams the response body into {@code file}; deletes the file when anything goes wrong. */
  private Future<Path> save(StageContext ctx, HttpClientResponse response, Path file) {
    long declared = contentLength(response);
    if (declared > limits.maxBytes()) {
      hangUp(response);
      return Future.failedFuture(tooLarge("declares " + declared + " bytes"));
    }
    OpenOptions open = new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true);
    return ctx.vertx().fileSystem().open(file.toString(), open)
        .onFailure(e -> hangUp(response))
        .compose(out -> {
          BodyCopy copy = new BodyCopy(ctx, response, out, declared);
          return copy.run().transform(copied -> out.close().transform(closed -> {
            Throwable failure = copied.failed() ? copied.cause()
                : copy.writeError != null ? copy.writeError : closed.cause();
            return failure == null
                ? Future.succeededFuture(file)
                : ctx.vertx().fileSystem().delete(file.toString())
                    .transform(deleted -> Future.<Path>failedFuture(failure));
          }));
        });
  }

  /**
   * One response body into one open file, with back-pressure, the byte limit, the abort signal and an idle timer.
   * The request's own idle timeout covers only the wait for the response head, so the body has its own timer,
   * stopped while we pause for the disk. However it ends, the connection is closed. Runs on the stage's context.
   */
  private final class BodyCopy {
    private final StageContext ctx;
    private final HttpClientResponse response;
    private final AsyncFile out;
    private final long declared;
    private final Promise<Void> done = Promise.promise();
    private long received;
    private long idleTimer = -1;
    /** A failed write, possibly reported after the body ended; checked once the file is closed. */
    Throwable writeError;

    BodyCopy(StageContext ctx, HttpClientResponse response, AsyncFile out, long declared) {
      this.ctx = ctx;
      this.response = response;
      this.out = out;
      this.declared = declared;
    }

    Future<Void> run() {
      response.exceptionHandler(done::tryFail);
      out.exceptionHandler(done::tryFail);
      ctx.aborted().onSuccess(reason -> fail(new RetryableStageException("download stopped: " + reason)));
      response.handler(this::chunk);
      response.endHandler(v -> done.tryComplete());
      restartIdleTimer();
      response.resume();
      return done.future().onComplete(ar -> {
        stopIdleTimer();
        hangUp(response);
      });
    }

    private void chunk(Buffer chunk) {
      if (done.future().isComplete()) {
        return;
      }
      received += chunk.length();
      if (received > limits.maxBytes()) {
        fail(tooLarge("sent more than that"));
        return;
      }
      out.write(chunk).onFailure(e -> {
        writeError = e;
        done.tryFail(e);
      });
      if (declared > 0) {
        ctx.progress((int) (received * 100 / declared));
      }
      if (out.writeQueueFull()) {
        stopIdleTimer();
        response.pause();
        out.drainHandler(v -> {
          restartIdleTimer();
          response.resume();
        });
      } else {
        restartIdleTimer();
      }
    }

    private void fail(RuntimeException failure) {
      done.tryFail(failure); // completing closes the connection, which stops the body
    }

    private void restartIdleTimer() {
      stopIdleTimer();
      long millis = Math.max(1, limits.idleTimeout().toMillis());
      idleTimer = ctx.vertx().setTimer(millis,
          id -> fail(new RetryableStageException("download stalled: no data for " + millis + " ms")));
    }

    private void stopIdleTimer() {
      if (idleTimer >= 0) {
        ctx.vertx().cancelTimer(idleTimer);
        idleTimer = -1;
      }
    }
  }

  private PermanentStageException tooLarge(String detail) {
    return new PermanentStageException("download too large: the limit is " + limits.maxBytes()
        + " bytes and the server " + detail);
  }

  /** Input problems stay permanent; any other fault (connect, reset, timeout, file system) is worth a retry. */
  private static Throwable classify(Throwable e) {
    if (e instanceof PermanentStageException || e instanceof RetryableStageException) {
      return e;
    }
    String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new RetryableStageException("download failed: " + what, e);
  }

  private static RuntimeException statusFailure(int status, UrlGuard.Target target) {
    String message = "HTTP " + status + " from " + target.uri().getHost();
    if (status == 408 || status == 425 || status == 429 || status >= 500) {
      return new RetryableStageException(message);
    }
    return new PermanentStageException(status >= 400 ? message : message + " (not a downloadable response)");
  }

  /** Ends a hop: closes its connection, dropping whatever of the body is unread (it may be unbounded). */
  private static void hangUp(HttpClientResponse response) {
    response.exceptionHandler(ignored -> { /* the close below is ours: the stream's "closed" error is expected */ });
    closeQuietly(response.request().connection());
  }

  private static void closeQuietly(HttpConnection connection) {
    connection.close().onFailure(ignored -> { /* already closed: nothing left to release */ });
  }

  private static long contentLength(HttpClientResponse response) {
    String value = response.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** {@code source} plus the URL's file extension when it has a plain one (ffmpeg probes content anyway). */
  private static String fileName(UrlGuard.Target target) {
    String path = target.uri().getPath() == null ? "" : target.uri().getPath();
    Matcher m = EXTENSION.matcher(path.substring(path.lastIndexOf('/') + 1));
    return m.find() ? "source." + m.group(1).toLowerCase(Locale.ROOT) : "source";
  }

  private static int millis(Duration d) {
    return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
  }
}
