package earshot.stream;

import earshot.stream.AudioInput.Encoding;
import earshot.transcribe.Languages;
import earshot.transcribe.ModelRegistry;
import io.vertx.core.json.JsonObject;

/**
 * The config frame of {@code WS /api/v1/audio/stream/transcribe}, validated:
 * {@code {"type":"config","model","language","sample_rate","encoding","interim_results","endpointing_ms","save"}}.
 *
 * @param language an ISO-639-1 code or "auto" (null: auto)
 */
public record StreamOptions(String model, String language, int sampleRate, Encoding encoding, boolean interim,
                            int endpointingMs, boolean save) {

  /** @throws IllegalArgumentException with a message for the client when a field is wrong */
  public static StreamOptions parse(JsonObject c) {
    try {
      String encoding = c.getString("encoding", "pcm_s16le");
      Encoding e;
      try {
        e = Encoding.parse(encoding);
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException("encoding must be pcm_s16le, pcm_f32le, opus or webm, was \""
            + clip(encoding) + "\"");
      }
      int rate = c.getInteger("sample_rate", LiveTranscriber.RATE);
      if (rate < 8_000 || rate > 192_000) {
        throw new IllegalArgumentException("sample_rate must be from 8000 to 192000, was " + rate);
      }
      int endpointing = c.getInteger("endpointing_ms", 500);
      if (endpointing < 100 || endpointing > 10_000) {
        throw new IllegalArgumentException("endpointing_ms must be from 100 to 10000, was " + endpointing);
      }
      String language = c.getString("language");
      if (language != null && !Languages.accepts(language)) {
        throw new IllegalArgumentException("language must be auto or a code whisper.cpp knows (en, de, ...), was \""
            + clip(language) + "\"");
      }
      String model = c.getString("model");
      if (model != null && !ModelRegistry.isKnown(model)) {
        throw new IllegalArgumentException("model must be a whisper.cpp model name such as base, small.en or "
            + "whisper-1, was \"" + clip(model) + "\"");
      }
      return new StreamOptions(model, language, rate, e, c.getBoolean("interim_results", true), endpointing,
          c.getBoolean("save", false));
    } catch (ClassCastException wrongType) {
      throw new IllegalArgumentException("a config field has the wrong type: " + wrongType.getMessage());
    }
  }

  /** Client input repeated in a message: printable characters only, at most 32 of them. */
  static String clip(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?").replace("\"", "'");
    return p.length() > 32 ? p.substring(0, 32) + "…" : p;
  }
}
