package earshot.stream;

import static earshot.testsupport.Await.await;

import earshot.testsupport.Deadlines;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real Vert.x WebSocket client for stream tests: every text message it receives is queued as JSON, and the close
 * status and reason are kept. The client is held for the socket's life (Vert.x closes unreferenced clients).
 */
final class StreamClient {
  final WebSocketClient client;
  final WebSocket ws;
  final LinkedBlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  final List<JsonObject> all = new ArrayList<>();
  final CompletableFuture<Short> closed = new CompletableFuture<>();

  StreamClient(Vertx vertx, int port, String uri, String key) {
    client = vertx.createWebSocketClient();
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
    if (key != null) {
      o.addHeader("X-API-KEY", key);
    }
    // The handlers are set on the socket's event loop as it opens, so a message sent at once is not missed.
    ws = await(client.connect(o).onSuccess(socket -> {
      socket.textMessageHandler(t -> {
        JsonObject j = new JsonObject(t);
        synchronized (all) {
          all.add(j);
        }
        received.add(j);
      });
      socket.closeHandler(v -> closed.complete(socket.closeStatusCode()));
    }));
  }

  void send(JsonObject msg) {
    await(ws.writeTextMessage(msg.encode()));
  }

  void audio(byte[] bytes) {
    await(ws.writeBinaryMessage(Buffer.buffer(bytes)));
  }

  /** Sends {@code samples} as pcm_s16le in frames of {@code frameSeconds}. */
  void stream(float[] samples, double frameSeconds) {
    int frame = (int) (frameSeconds * LiveTranscriber.RATE);
    for (int i = 0; i < samples.length; i += frame) {
      audio(LiveAudio.s16le(LiveAudio.slice(samples, i, i + frame)));
    }
  }

  /** The next message of {@code type}, skipping others (which stay in {@link #all}). */
  JsonObject next(String type) {
    long end = System.nanoTime() + Deadlines.WAIT.toNanos();
    try {
      while (System.nanoTime() < end) {
        JsonObject j = received.poll(100, TimeUnit.MILLISECONDS);
        if (j != null && type.equals(j.getString("type"))) {
          return j;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new AssertionError("no " + type + " message within " + Deadlines.WAIT + "; got " + snapshot());
  }

  short closeStatus() throws Exception {
    return closed.get(Deadlines.WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  List<JsonObject> snapshot() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  List<JsonObject> ofType(String type) {
    return snapshot().stream().filter(j -> type.equals(j.getString("type"))).toList();
  }
}
