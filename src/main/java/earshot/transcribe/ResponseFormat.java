package earshot.transcribe;

import java.util.Locale;
import java.util.Optional;

/** The OpenAI audio API's {@code response_format} values, with the content type each is served as. */
public enum ResponseFormat {
  JSON("application/json"),
  TEXT("text/plain; charset=utf-8"),
  SRT("application/x-subrip; charset=utf-8"),
  VTT("text/vtt; charset=utf-8"),
  VERBOSE_JSON("application/json");

  private final String contentType;

  ResponseFormat(String contentType) {
    this.contentType = contentType;
  }

  public String contentType() {
    return contentType;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<ResponseFormat> parse(String value) {
    if (value == null) {
      return Optional.of(JSON);
    }
    for (ResponseFormat f : values()) {
      if (f.wireName().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
