#include "board_state.h"

#include <errno.h>
#include <string.h>

#include "board.h"

void board_save(const struct board *b, struct board_state *st)
{
    memset(st, 0, sizeof(*st));
    st->pc = b->pc;
    if (!b->pc)
        return;
    uart_save(&b->uart, &st->uart);
    rtc_save(&b->rtc, &st->rtc);
    reset_save(&b->reset, &st->reset);
    fwcfg_save(&b->fwcfg, &st->fwcfg);
    pci_save(&b->pci, &st->pci);
    acpi_pm_save(&b->acpi, &st->acpi);
    testdev_save(&b->testdev, &st->testdev);
    if (b->virtual_time)
        pit_save(&b->pit, &st->pit);
}

int board_load(struct board *b, const struct board_state *st)
{
    int e;

    if (st->pc != (uint32_t)b->pc ||
        (b->pc && st->pit.present != (uint32_t)b->virtual_time))
        return -EINVAL; /* our PIT or KVM's: the machines differ */
    if (!b->pc)
        return 0;
    if ((e = uart_load(&b->uart, &st->uart)) < 0 ||
        (e = rtc_load(&b->rtc, &st->rtc)) < 0 ||
        (e = reset_load(&b->reset, &st->reset)) < 0 ||
        (e = fwcfg_load(&b->fwcfg, &st->fwcfg)) < 0 ||
        (e = pci_load(&b->pci, &st->pci)) < 0 ||
        (e = acpi_pm_load(&b->acpi, &st->acpi)) < 0 ||
        (e = testdev_load(&b->testdev, &st->testdev)) < 0 ||
        (b->virtual_time && (e = pit_load(&b->pit, &st->pit)) < 0))
        return e;
    /* The RTC's next event moved: board_poll re-arms the timer. */
    b->rtc_dirty = true;
    b->in_ready = true;
    return 0;
}
