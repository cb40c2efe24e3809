/*
 * main.c - the mailout program: hands argv to the CLI layer.
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
