package earshot.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What transcription produced: the full text, the language, and segments with absolute times in seconds. This is
 * the shape stored in the payload after audio_transcribe and read by the chunker, the store and the renderers.
 */
public record Transcript(String text, String language, double durationSeconds, List<Segment> segments, String model) {

  /** One segment; {@code start}/{@code end} in seconds from the start of the audio. */
  public record Segment(int id, double start, double end, String text) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("start", start).put("end", end).put("text", text);
    }

    public static Segment fromJson(JsonObject j) {
      return new Segment(j.getInteger("id"), j.getDouble("start"), j.getDouble("end"), j.getString("text"));
    }
  }

  public JsonObject toJson() {
    JsonArray segs = new JsonArray();
    segments.forEach(s -> segs.add(s.toJson()));
    return new JsonObject().put("text", text).put("language", language).put("duration", durationSeconds)
        .put("segments", segs).put("model", model);
  }

  public static Transcript fromJson(JsonObject j) {
    List<Segment> segs = j.getJsonArray("segments", new JsonArray()).stream()
        .map(o -> Segment.fromJson((JsonObject) o)).toList();
    return new Transcript(j.getString("text", ""), j.getString("language"), j.getDouble("duration", 0.0), segs,
        j.getString("model"));
  }
}
