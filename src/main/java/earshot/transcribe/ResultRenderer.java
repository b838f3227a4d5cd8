package earshot.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * Renders a stored job result in the OpenAI audio API's shapes: json, text, srt, vtt and verbose_json, and the native
 * API's json, which adds the language and the words. The single source for every endpoint and file that shows a
 * transcript. Pure functions; any thread.
 *
 * <p>The stored result is {@code {task, text, language, duration, segments: [{id, start, end, text, ...}], ...}};
 * segment fields beyond id/start/end/text (tokens, avg_logprob, compression_ratio, no_speech_prob, words) are passed
 * through when the transcriber provided them, and verbose_json writes null for those it did not. The stored
 * {@code language} is the ISO code (as the job, webhooks and the native json show it); verbose_json alone reports
 * the English name, as OpenAI's API does.
 */
public final class ResultRenderer {
  private ResultRenderer() {}

  public static String render(JsonObject result, ResponseFormat format) {
    return switch (format) {
      case JSON -> json(result).encode();
      case TEXT -> text(result) + "\n";
      case SRT -> srt(result);
      case VTT -> vtt(result);
      case VERBOSE_JSON -> verboseJson(result).encode();
    };
  }

  /**
   * The native API's rendering ({@code GET /api/v1/audio/jobs/{id}/result}): the same shapes, except that json is
   * {@link #nativeJson}. The OpenAI routes use {@link #render}.
   */
  public static String renderNative(JsonObject result, ResponseFormat format, boolean wordTimestamps) {
    return format == ResponseFormat.JSON ? nativeJson(result, wordTimestamps).encode() : render(result, format);
  }

  /** OpenAI's json: {@code {"text": "..."}} and nothing else, as OpenAI answers it. */
  public static JsonObject json(JsonObject result) {
    return new JsonObject().put("text", text(result));
  }

  /**
   * The native json: {@code {text, language}}, the language as its ISO 639-1 code (the one asked for, or the one
   * detected; null when none was detected), and, when the job asked for word timestamps, {@code words}: every word
   * with {@code start}, {@code end} (seconds) and {@code probability}, in order; and {@code analysis}, the analysis
   * provider's answer, when the job asked for one ({@code perform_analysis}) and got it.
   */
  public static JsonObject nativeJson(JsonObject result, boolean wordTimestamps) {
    String language = result.getString("language");
    JsonObject body = json(result).put("language", "auto".equals(language) ? null : language);
    if (wordTimestamps) {
      body.put("words", result.getJsonArray("words", new JsonArray()));
    }
    if (result.getString("analysis") != null) {
      body.put("analysis", result.getString("analysis"));
    }
    return body;
  }

  public static String text(JsonObject result) {
    return result.getString("text", "").strip();
  }

  public static JsonObject verboseJson(JsonObject result) {
    JsonArray segments = new JsonArray();
    for (Object o : segments(result)) {
      JsonObject s = (JsonObject) o;
      JsonObject out = new JsonObject()
          .put("id", s.getInteger("id"))
          .put("seek", s.getValue("seek", (int) Math.round(s.getDouble("start", 0.0) * 100)))
          .put("start", round(s.getDouble("start", 0.0)))
          .put("end", round(s.getDouble("end", 0.0)))
          .put("text", s.getString("text", ""))
          .put("tokens", s.getJsonArray("tokens", new JsonArray()))
          .put("temperature", s.getDouble("temperature", result.getDouble("temperature", 0.0)))
          // null, never a made-up 0.0, where the engine gave nothing: no_speech_prob in whisper.cpp 1.7.1
          .put("avg_logprob", s.getDouble("avg_logprob"))
          .put("compression_ratio", s.getValue("compression_ratio") != null ? s.getDouble("compression_ratio")
              : Transcript.compressionRatio(s.getString("text", "")))
          .put("no_speech_prob", s.getDouble("no_speech_prob"));
      if (s.containsKey("words")) {
        out.put("words", s.getJsonArray("words"));
      }
      segments.add(out);
    }
    JsonObject body = new JsonObject()
        .put("task", result.getString("task", "transcribe"))
        .put("language", Languages.name(result.getString("language")))
        .put("duration", round(result.getDouble("duration", 0.0)))
        .put("text", text(result))
        .put("segments", segments);
    if (result.getValue("language_probability") != null) {
      body.put("language_probability", result.getDouble("language_probability"));
    }
    JsonArray words = result.getJsonArray("words");
    if (words != null) {
      body.put("words", words);
    }
    return body;
  }

  public static String srt(JsonObject result) {
    StringBuilder out = new StringBuilder();
    int n = 1;
    for (Object o : segments(result)) {
      JsonObject s = (JsonObject) o;
      out.append(n++).append('\n')
          .append(timestamp(s.getDouble("start", 0.0), ',')).append(" --> ")
          .append(timestamp(s.getDouble("end", 0.0), ',')).append('\n')
          .append(cue(s.getString("text", ""))).append("\n\n");
    }
    return out.toString();
  }

  public static String vtt(JsonObject result) {
    StringBuilder out = new StringBuilder("WEBVTT\n\n");
    for (Object o : segments(result)) {
      JsonObject s = (JsonObject) o;
      out.append(timestamp(s.getDouble("start", 0.0), '.')).append(" --> ")
          .append(timestamp(s.getDouble("end", 0.0), '.')).append('\n')
          .append(cue(s.getString("text", ""))).append("\n\n");
    }
    return out.toString();
  }

  /** {@code HH:MM:SS,mmm} (SRT) or {@code HH:MM:SS.mmm} (VTT). */
  static String timestamp(double seconds, char separator) {
    long ms = Math.max(0, Math.round(seconds * 1000));
    return String.format(Locale.ROOT, "%02d:%02d:%02d%c%03d",
        ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, separator, ms % 1000);
  }

  /** Cue text: trimmed, and never an empty line or a "-->" that would end or break the cue. */
  private static String cue(String text) {
    String t = text.strip().replace("-->", "->").replaceAll("\\n\\s*\\n", "\n");
    return t.isEmpty() ? "…" : t;
  }

  private static JsonArray segments(JsonObject result) {
    return result.getJsonArray("segments", new JsonArray());
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
