package earshot.api;

import earshot.audio.DiskSpace;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClosedException;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one failure handler: turns whatever failed a request (an {@link ApiError}, vertx-web's own 400/403/404/405/413,
 * or an unexpected exception, logged and answered 500) into one {@link ApiError}, and answers it in the shape of the
 * API it belongs to: an RFC 9457 {@link Problem} for the native routes, {@link OpenAiError} for the OpenAI-compatible
 * {@code /v1} routes, whose SDKs read nothing else. A {@code Retry-After} goes with either.
 *
 * <p>Threading: event loop; stateless.
 */
final class FailureHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);

  static final FailureHandler PROBLEM = new FailureHandler(false);
  static final FailureHandler OPENAI = new FailureHandler(true);

  private final boolean openAi;

  private FailureHandler(boolean openAi) {
    this.openAi = openAi;
  }

  /** The handler for a request path: the OpenAI shape under {@code /v1}, a problem everywhere else. */
  static FailureHandler forPath(String path) {
    return path != null && (path.equals(OpenAiApi.BASE) || path.startsWith(OpenAiApi.BASE + "/")) ? OPENAI : PROBLEM;
  }

  /** For the router's error handlers of requests that matched no route: {@code forPath}'s shape. */
  static void answerByPath(RoutingContext ctx, ApiError e) {
    forPath(ctx.request().path()).answer(ctx, e);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.failure() instanceof HttpClosedException || ctx.response().closed()) {
      // A client that goes away (an aborted upload, a timed-out request) is not a server error, and there is no one
      // left to answer; nothing is left behind: the upload's partial file is deleted by whoever streamed it.
      LOG.info("{} {}: the connection closed before the response", ctx.request().method(), ctx.request().path());
      return;
    }
    answer(ctx, toApiError(ctx));
  }

  void answer(RoutingContext ctx, ApiError e) {
    if (e.retryAfterSeconds() != null && !ctx.response().headWritten()) {
      ctx.response().putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
    }
    if (openAi) {
      OpenAiError.of(e).send(ctx);
    } else {
      e.problem().send(ctx);
    }
  }

  private static ApiError toApiError(RoutingContext ctx) {
    Throwable err = ctx.failure();
    if (err instanceof ApiError e) {
      return e;
    }
    if (err instanceof earshot.artifacts.ArtifactUnavailableException) {
      LOG.warn("{} {}: {}", ctx.request().method(), ctx.request().path(), err.getMessage());
      return ApiError.unavailable("the artifact store cannot be reached now; try again later");
    }
    if (DiskSpace.isFull(err)) {
      // A write this request needed (an upload's file, a job's directory) found the disk full: the server's fault.
      LOG.warn("{} {}: the disk is full: {}", ctx.request().method(), ctx.request().path(), err.getMessage());
      return ApiError.insufficientStorage("the server's disk has no room for this request now; try again later");
    }
    int status = ctx.statusCode();
    if (status == 413) {
      return new ApiError(413, ProblemTypes.PAYLOAD_TOO_LARGE, "Payload Too Large", "the request body exceeds the limit",
          null);
    }
    if (status == 400) {
      return new ApiError(400, ProblemTypes.VALIDATION, "Bad Request", "the request could not be read", null);
    }
    if (status == 403) {
      // vertx-web's own refusals, such as the CORS handler's for an origin that is not configured.
      return new ApiError(403, ProblemTypes.FORBIDDEN, "Forbidden", err == null ? null : err.getMessage(), null);
    }
    if (status >= 400 && status < 500) {
      return new ApiError(status, "about:blank", "HTTP " + status, null, null);
    }
    LOG.error("unhandled error on {} {}", ctx.request().method(), ctx.request().path(), err);
    return new ApiError(500, ProblemTypes.INTERNAL, "Internal Server Error", "the server failed to handle this request",
        null);
  }
}
