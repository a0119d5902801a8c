//===- Diagnostics.cpp - Clang-style error reporting ----------------------===//

#include "attnc/Frontend/Diagnostics.h"

#include "Utf8.h"

#include <algorithm>

namespace attnc {

namespace {

/// A message as printed. One that quotes a huge name or expression (from a
/// generated file) keeps its first and last 2 KiB around "...", so that one
/// diagnostic never prints megabytes.
std::string clipped(const std::string &message) {
  constexpr size_t kMaxMessage = 4096;
  if (message.size() <= kMaxMessage)
    return message;
  size_t head = kMaxMessage / 2, tail = message.size() - kMaxMessage / 2;
  // Never split a UTF-8 sequence.
  auto continuation = [&](size_t i) {
    return (static_cast<unsigned char>(message[i]) & 0xC0) == 0x80;
  };
  while (head > 0 && continuation(head))
    --head;
  while (tail < message.size() && continuation(tail))
    ++tail;
  return message.substr(0, head) + "..." + message.substr(tail);
}

} // namespace

Diagnostics::Diagnostics(std::string fileName, std::string_view source, std::ostream &out)
    : fileName_(std::move(fileName)), source_(source), out_(out) {}

void Diagnostics::error(ast::Loc loc, const std::string &message) {
  printingNotes_ = ++errorCount_ == 1;
  if (!printingNotes_)
    return;
  emit(loc, "error", message);
  for (int id = loc.expansion; expansions_ && id >= 0 && id < (int)expansions_->size();) {
    const ast::Expansion &e = (*expansions_)[id];
    emit(e.call, "note", "in the call to '" + e.function + "' here");
    id = e.call.expansion;
  }
}

void Diagnostics::note(ast::Loc loc, const std::string &message) {
  if (printingNotes_)
    emit(loc, "note", message);
}

void Diagnostics::error(const std::string &message) {
  printingNotes_ = false;
  if (++errorCount_ == 1)
    out_ << "attnc: error: " << clipped(message) << "\n";
}

namespace {

/// The text of 1-based line `line`, without its line break.
std::string_view lineText(std::string_view src, unsigned line) {
  size_t start = 0;
  for (unsigned l = 1; l < line; ++l) {
    size_t nl = src.find('\n', start);
    if (nl == std::string_view::npos)
      return {};
    start = nl + 1;
  }
  size_t end = src.find('\n', start);
  std::string_view text = src.substr(start, end == std::string_view::npos ? end : end - start);
  if (!text.empty() && text.back() == '\r')
    text.remove_suffix(1);
  return text;
}

/// The source line as printed: valid UTF-8 and tabs as they are, any other
/// control or invalid byte as '?', so the terminal never sees raw garbage.
/// `caretPad` receives the matching indentation for a caret at byte `col`.
void renderLine(std::string_view text, unsigned col, std::string &shown, std::string &caretPad) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    bool beforeCaret = i + 1 < col;
    uint32_t cp;
    unsigned len = utf8::decode(p + i, n - i, cp);
    if (len == 0 || (cp < 0x20 && cp != '\t') || cp == 0x7F) {
      shown += '?';
      len = 1;
    } else {
      shown.append(text.data() + i, len);
    }
    if (beforeCaret)
      caretPad += cp == '\t' && len == 1 ? '\t' : ' ';
    i += len;
  }
  // A caret past the end of the line (end of file, a missing token).
  for (size_t i = n; i + 1 < col; ++i)
    caretPad += ' ';
}

} // namespace

void Diagnostics::emit(ast::Loc loc, const char *severity, const std::string &message) {
  out_ << fileName_ << ":" << loc.line << ":" << loc.col << ": " << severity << ": "
       << clipped(message) << "\n";
  std::string_view text = lineText(source_, loc.line);
  size_t caret = loc.col > 0 ? loc.col - 1 : 0; // byte offset in `text`
  // A very long line (a generated file) is shown as a window around the
  // caret, so that one diagnostic never prints megabytes.
  constexpr size_t kMaxShown = 4096, kContext = 80;
  std::string before, after;
  if (text.size() > kMaxShown) {
    size_t from = caret > kContext ? caret - kContext : 0;
    size_t to = std::min(text.size(), caret + kContext);
    before = from > 0 ? "..." : "";
    after = to < text.size() ? "..." : "";
    text = text.substr(from, to - from);
    caret -= from;
  }
  std::string shown, pad;
  renderLine(text, (unsigned)caret + 1, shown, pad);
  out_ << before << shown << after << "\n" << std::string(before.size(), ' ') << pad << "^";
  // Underline the rest of the token, but never past the end of the line.
  size_t rest = caret < text.size() ? text.size() - caret - 1 : 0;
  size_t tilde = std::min<size_t>(loc.length > 0 ? loc.length - 1 : 0, rest);
  out_ << std::string(tilde, '~') << "\n";
}

} // namespace attnc
