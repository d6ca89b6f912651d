/** A prediction's or instance's state as a coloured badge (with the word, never colour alone). */
export function Status({ value }: { value: string }) {
  return (
    <span class={`badge s-${value}`} data-status={value}>
      {value}
    </span>
  );
}
