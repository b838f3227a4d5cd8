package earshot.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The reply to a {@link StreamDecode}: {@code {segments: [{start_ms, end_ms, text}], decode_ms}}, times relative to
 * the first sample sent, and how long the decode itself took on the transcriber (queueing for a state included).
 */
public record StreamDecoded(List<Segment> segments, long decodeMs) {
  /** One whisper.cpp segment of the pass. */
  public record Segment(long startMs, long endMs, String text) {}

  public JsonObject toJson() {
    JsonArray a = new JsonArray();
    segments.forEach(s -> a.add(new JsonObject().put("start_ms", s.startMs()).put("end_ms", s.endMs())
        .put("text", s.text())));
    return new JsonObject().put("segments", a).put("decode_ms", decodeMs);
  }

  public static StreamDecoded fromJson(JsonObject j) {
    List<Segment> s = j.getJsonArray("segments", new JsonArray()).stream()
        .map(o -> (JsonObject) o)
        .map(o -> new Segment(o.getLong("start_ms"), o.getLong("end_ms"), o.getString("text", "")))
        .toList();
    return new StreamDecoded(s, j.getLong("decode_ms", 0L));
  }
}
