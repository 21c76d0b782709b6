import CYaml

/// libyaml's bare parse of a text, events only: the floor any YAML decoder built on libyaml has,
/// against which benchmarks compare the manifest decoder in the same run. Builds nothing.
public enum LibYAMLBaseline {
    /// Parses every document of `text` and returns how many events libyaml produced; stops at the
    /// first error (the count so far).
    public static func eventCount(_ text: String) -> Int {
        var copy = text
        return copy.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return 0 }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var event = yaml_event_t()
            var count = 0
            while yaml_parser_parse(&parser, &event) == 1 {
                let done = event.type == YAML_STREAM_END_EVENT
                yaml_event_delete(&event)
                count += 1
                if done { break }
            }
            return count
        }
    }
}
