package earshot.api;

import earshot.stream.RealtimeSocket;
import earshot.stream.StreamServices;
import earshot.stream.TranscribeSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The live-transcription WebSockets: {@code GET /api/v1/audio/stream/transcribe} (Earshot's protocol) and
 * {@code GET /v1/realtime?intent=transcription} (OpenAI's Realtime transcription events). Both are mounted behind
 * the same authentication as the other routes; the socket then belongs to {@code earshot.stream}, and the audio is
 * decoded over the event bus on whichever node runs the transcriber role.
 *
 * <p>Threading: the API verticle's event loop.
 */
final class StreamApi {
  static final String TRANSCRIBE = "/stream/transcribe";
  static final String REALTIME = "/realtime";

  private final StreamServices services;

  StreamApi(StreamServices services) {
    this.services = services;
  }

  void mountNative(Router jobs) {
    jobs.get(TRANSCRIBE).handler(ctx -> upgrade(ctx, false));
  }

  void mountOpenAi(Router openai) {
    openai.get(REALTIME).handler(ctx -> {
      String intent = ctx.request().getParam("intent");
      if (intent != null && !"transcription".equals(intent)) {
        ctx.fail(ApiError.invalid("intent", "only intent=transcription is served here"));
        return;
      }
      upgrade(ctx, true);
    });
  }

  private void upgrade(RoutingContext ctx, boolean realtime) {
    String owner = Principal.of(ctx).ownerUserId();
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
      ctx.fail(ApiError.invalid("Upgrade", "this route is a WebSocket: connect with Upgrade: websocket"));
      return;
    }
    ctx.request().toWebSocket()
        .onSuccess(ws -> {
          if (realtime) {
            new RealtimeSocket(services, ws, owner);
          } else {
            new TranscribeSocket(services, ws, owner);
          }
        })
        .onFailure(ctx::fail);
  }
}
